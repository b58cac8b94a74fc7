// Shared by the runtime and the analyzer: the rules for the attribute's option texts, so build time and start-up
// agree on what is valid and say so in the same words.
using System;
using System.Globalization;

namespace DistCron.Internal
{
    /// <summary>Parsing and validation of <c>[DistributedCron]</c> options other than the schedule.</summary>
    internal static class JobOptionText
    {
        /// <summary>Longest allowed job name: it is a primary-key column in every store.</summary>
        public const int MaxNameLength = 200;

        /// <summary>Why <paramref name="name"/> is not a valid job name, or null when it is.</summary>
        public static string? NameError(string? name)
        {
            if (name == null || name.Length == 0)
            {
                return "the job name is empty";
            }

            if (name.Length > MaxNameLength)
            {
                return $"the job name is {name.Length} characters long, more than the {MaxNameLength} allowed";
            }

            for (var i = 0; i < name.Length; i++)
            {
                var c = name[i];
                var ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == ':' || c == '-';
                if (!ok)
                {
                    var shown = char.IsControl(c) || char.IsWhiteSpace(c) ? $"U+{(int)c:X4}" : c.ToString();
                    return $"the job name contains '{shown}' at position {i + 1}; only A-Z, a-z, 0-9, '.', '_', ':' and '-' are allowed";
                }
            }

            return null;
        }

        /// <summary>
        /// Reads a duration written <c>hh:mm:ss</c>, <c>d.hh:mm:ss</c> or with fractional seconds (invariant culture).
        /// A bare number is refused on purpose: <see cref="TimeSpan.Parse(string)"/> would read "10" as ten days.
        /// </summary>
        public static bool TryParseDuration(string? text, out TimeSpan value, out string? error)
        {
            value = TimeSpan.Zero;
            var trimmed = text?.Trim() ?? string.Empty;
            var colons = 0;
            foreach (var c in trimmed)
            {
                if (c == ':') colons++;
            }

            if (colons != 2 || !TimeSpan.TryParseExact(trimmed, "c", CultureInfo.InvariantCulture, out value))
            {
                value = TimeSpan.Zero;
                error = $"'{text}' is not a duration written hh:mm:ss";
                return false;
            }

            error = null;
            return true;
        }

        /// <summary>
        /// Longest duration any setting or attribute option accepts. Every duration ends up in a .NET timer
        /// (CancellationTokenSource, Task.Delay, WaitAsync), some after the engine added a margin or doubled it; a
        /// timer longer than 4,294,967,294 ms (49.7 days), or 2,147,483,647 ms (24.8 days) for the Int32 overloads,
        /// throws when it is created, which at run time is after a claim was taken. 24 days leaves room for both.
        /// </summary>
        public static readonly TimeSpan MaxDuration = TimeSpan.FromDays(24);

        /// <summary>True when <paramref name="value"/> is a legal duration: positive (or zero when allowed), at most <see cref="MaxDuration"/>.</summary>
        public static bool DurationInRange(TimeSpan value, bool allowZero) =>
            value <= MaxDuration && (allowZero ? value >= TimeSpan.Zero : value > TimeSpan.Zero);

        /// <summary>
        /// The rule <see cref="DurationInRange"/> checks, worded to follow "must be": the analyzer (DCRON0005) and the
        /// start-up validation both say it in these words.
        /// </summary>
        public static string DurationRange(bool allowZero) =>
            (allowZero ? "zero or more" : "greater than zero") + " and at most " + Canonical(MaxDuration)
            + " (24 days: longer waits overflow .NET timers)";

        /// <summary>Canonical text of a duration for hashing: the invariant "c" format ("00:05:00").</summary>
        public static string? Canonical(TimeSpan? value) =>
            value?.ToString("c", CultureInfo.InvariantCulture);
    }
}
