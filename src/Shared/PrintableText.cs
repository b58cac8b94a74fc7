// Shared by the runtime and the analyzer: every message that echoes text a user or a database row supplied shows it
// through this one rule, so a newline, a NUL or an invisible character can neither cut a message short (MSBuild
// shows a diagnostic's first line only), forge a log line, nor hide what is really in the value.
using System.Globalization;
using System.Text;

namespace DistCron.Internal
{
    /// <summary>Shows a value with its control, invisible (and by default non-ASCII) characters escaped as \uXXXX.</summary>
    internal static class PrintableText
    {
        /// <summary>
        /// <paramref name="value"/> with every character outside printable ASCII written \uXXXX, so that a value that
        /// must be ASCII (a schedule, a time zone id, a job or schema name) also shows a look-alike ('о' for 'o').
        /// With <paramref name="keepLetters"/> (for identifiers, which may be in any script) only control, format
        /// (zero-width, bidi), line/paragraph separator, space other than U+0020 (NBSP...), unassigned, private-use and
        /// unpaired surrogate characters are escaped. Cut to <paramref name="maxLength"/> characters with "…" after.
        /// </summary>
        public static string Printable(string? value, int maxLength = 100, bool keepLetters = false)
        {
            if (value is null) return "(null)";
            var builder = new StringBuilder(value.Length + 8);
            var length = value.Length > maxLength ? maxLength : value.Length;
            for (var i = 0; i < length; i++)
            {
                var c = value[i];
                if (keepLetters && char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
                {
                    // A well-formed pair is one visible character unless it is itself a format or private-use one.
                    var category = CharUnicodeInfo.GetUnicodeCategory(value, i);
                    if (IsInvisible(category))
                    {
                        Escape(builder, c);
                        Escape(builder, value[i + 1]);
                    }
                    else
                    {
                        builder.Append(c).Append(value[i + 1]);
                    }

                    i++;
                    continue;
                }

                if (IsShownAsIs(c, keepLetters)) builder.Append(c);
                else Escape(builder, c);
            }

            if (value.Length > maxLength) builder.Append('…');
            return builder.ToString();
        }

        /// <summary>True when <paramref name="c"/> can be shown as it is in a one-line message.</summary>
        public static bool IsShownAsIs(char c, bool keepLetters = true)
        {
            if (c >= ' ' && c <= '~') return true;
            if (!keepLetters || c < ' ' || c == '\u007f') return false;
            return !IsInvisible(CharUnicodeInfo.GetUnicodeCategory(c));
        }

        private static bool IsInvisible(UnicodeCategory category)
        {
            switch (category)
            {
                case UnicodeCategory.Control:
                case UnicodeCategory.Format:
                case UnicodeCategory.LineSeparator:
                case UnicodeCategory.ParagraphSeparator:
                case UnicodeCategory.SpaceSeparator:
                case UnicodeCategory.Surrogate:
                case UnicodeCategory.PrivateUse:
                case UnicodeCategory.OtherNotAssigned:
                    return true;
                default:
                    return false;
            }
        }

        private static void Escape(StringBuilder builder, char c) =>
            builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
    }
}
