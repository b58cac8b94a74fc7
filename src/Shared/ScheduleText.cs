// Shared by the runtime (src/DistCron) and the analyzer/generator (src/DistCron.Generators): both compile this
// file, so a schedule the build accepts is exactly a schedule the runtime accepts. No dependency but Cronos.
using System;
using System.Text;
using Cronos;

namespace DistCron.Internal
{
    /// <summary>The outcome of reading a schedule string.</summary>
    internal sealed class ScheduleParseResult
    {
        private ScheduleParseResult(bool success, bool includeSeconds, string expandedText, CronExpression? expression, string? error, string? hint)
        {
            Success = success;
            IncludeSeconds = includeSeconds;
            ExpandedText = expandedText;
            Expression = expression;
            Error = error;
            Hint = hint;
        }

        public bool Success { get; }

        /// <summary>True for six fields (seconds first) or a seconds macro.</summary>
        public bool IncludeSeconds { get; }

        /// <summary>The text handed to Cronos, after <c>H</c> was replaced by the job's stable values.</summary>
        public string ExpandedText { get; }

        public CronExpression? Expression { get; }

        /// <summary>Why the schedule is invalid (Cronos's reason or ours).</summary>
        public string? Error { get; }

        /// <summary>A targeted hint for a usual confusion (Quartz syntax, field order), or null.</summary>
        public string? Hint { get; }

        internal static ScheduleParseResult Ok(bool includeSeconds, string expanded, CronExpression expression) =>
            new ScheduleParseResult(true, includeSeconds, expanded, expression, null, null);

        internal static ScheduleParseResult Fail(string error, string? hint, bool includeSeconds = false, string expanded = "") =>
            new ScheduleParseResult(false, includeSeconds, expanded, null, error, hint);
    }

    /// <summary>
    /// Reads DistCron schedule text: 5 fields (minute precision) or 6 fields with seconds first, told apart by field
    /// count; Cronos macros; and <c>H</c>, which stands for a value derived from a stable hash of the job name so
    /// that every node computes the same instants.
    /// </summary>
    internal static class ScheduleText
    {
        // Field ranges for H. Day-of-month stops at 28 so that an H day exists in every month.
        private static readonly int[] SecondsFirstMin = { 0, 0, 0, 1, 1, 0 };
        private static readonly int[] SecondsFirstMax = { 59, 59, 23, 28, 12, 6 };

        private const string CronosPrefix = "The given cron expression has an invalid format. ";

        public static ScheduleParseResult Parse(string? schedule, string jobName)
        {
            if (schedule == null || schedule.Trim().Length == 0)
            {
                return ScheduleParseResult.Fail("the schedule is empty", "write a cron expression such as \"0 * * * *\" (every hour)");
            }

            var text = schedule.Trim();
            if (text[0] == '@')
            {
                return ParseMacro(text);
            }

            var fields = Fields(text);
            if (fields.Length == 7)
            {
                return ScheduleParseResult.Fail(
                    "7 fields is Quartz syntax with a year field, which DistCron does not support",
                    "drop the last (year) field; DistCron reads 6 fields as second minute hour day-of-month month day-of-week");
            }

            if (fields.Length != 5 && fields.Length != 6)
            {
                return ScheduleParseResult.Fail(
                    $"expected 5 fields (minute hour day-of-month month day-of-week) or 6 fields (seconds first), found {fields.Length}",
                    "write 5 fields such as \"30 2 * * *\" (02:30 every day), 6 fields such as \"*/10 * * * * *\" (every 10 seconds), or a macro such as @hourly");
            }

            var includeSeconds = fields.Length == 6;
            string expanded;
            try
            {
                expanded = ExpandHash(fields, includeSeconds, jobName);
            }
            catch (FormatException ex)
            {
                return ScheduleParseResult.Fail(ex.Message, "H takes the forms H, H/step, H(from-to) and H(from-to)/step", includeSeconds);
            }

            try
            {
                var expression = CronExpression.Parse(expanded, includeSeconds ? Cronos.CronFormat.IncludeSeconds : Cronos.CronFormat.Standard);
                return ScheduleParseResult.Ok(includeSeconds, expanded, expression);
            }
            catch (CronFormatException ex)
            {
                return ScheduleParseResult.Fail(CronosReason(ex), HintFor(fields, includeSeconds, jobName), includeSeconds, expanded);
            }
        }

        /// <summary>
        /// True when the expression has no occurrence at all, such as "0 0 30 2 *" (February never has a 30th).
        /// Cronos searches a bounded range of years, so this is exact for cron's calendar.
        /// </summary>
        public static bool NeverFires(CronExpression expression) =>
            expression.GetNextOccurrence(new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc), TimeZoneInfo.Utc) == null;

        /// <summary>
        /// True for a schedule written the Quartz way ('?' for day-of-month, with or without the seconds field) whose
        /// day-of-week has day numbers: Quartz counts 1 = Sunday, DistCron (like Unix cron) 0 or 7 = Sunday, 1 =
        /// Monday, so the job would silently run one day later than meant. Unix cron has no '?', so no plain Unix
        /// schedule is flagged; numbers that are only steps ("*/2") or H ranges count no day and are not flagged.
        /// </summary>
        public static bool LooksLikeQuartzDayOfWeek(string? schedule)
        {
            var fields = Fields(schedule);
            if (fields.Length != 5 && fields.Length != 6) return false;
            var dayOfMonth = fields[fields.Length - 3];
            return dayOfMonth == "?" && HasDayNumber(fields[fields.Length - 1]);
        }

        /// <summary>
        /// A day-of-week field with its day numbers written as names (SUN-SAT), read the Quartz way (1 = SUN ... 7 =
        /// SAT) or the DistCron way (0 or 7 = SUN, 1 = MON ... 6 = SAT); steps, L and #n are kept. Null when a number
        /// has no day in that numbering.
        /// </summary>
        public static string? DayOfWeekAsNames(string field, bool quartzNumbering)
        {
            var builder = new StringBuilder(field.Length + 8);
            var i = 0;
            while (i < field.Length)
            {
                var c = field[i];
                if (c == '/' || c == '#')
                {
                    // A step or an occurrence number: copied as it is, it names no day.
                    builder.Append(c);
                    i++;
                    while (i < field.Length && char.IsDigit(field[i])) builder.Append(field[i++]);
                    continue;
                }

                if (c >= '0' && c <= '9')
                {
                    var start = i;
                    while (i < field.Length && field[i] >= '0' && field[i] <= '9') i++;
                    var number = int.Parse(field.Substring(start, i - start), System.Globalization.CultureInfo.InvariantCulture);
                    var index = quartzNumbering ? number - 1 : number % 7;
                    if (number < (quartzNumbering ? 1 : 0) || number > 7) return null;
                    builder.Append(DayNames[index]);
                    continue;
                }

                builder.Append(c);
                i++;
            }

            return builder.ToString();
        }

        /// <summary>
        /// True when a valid schedule restricts both day-of-month and day-of-week, each to fewer than all days (the
        /// test is semantic: "1-7" in day-of-week restricts nothing). Cronos then runs on days matching BOTH fields,
        /// where classic crontab runs on days matching EITHER. Gives the two fields as written.
        /// </summary>
        public static bool RestrictsBothDays(ScheduleParseResult parsed, out string dayOfMonth, out string dayOfWeek)
        {
            dayOfMonth = dayOfWeek = string.Empty;
            if (!parsed.Success || parsed.ExpandedText.Length == 0 || parsed.ExpandedText[0] == '@') return false;
            var fields = Fields(parsed.ExpandedText);
            if (fields.Length != 5 && fields.Length != 6) return false;
            int domIndex = fields.Length - 3, dowIndex = fields.Length - 1;
            if (IsEveryDay(fields[domIndex]) || IsEveryDay(fields[dowIndex])) return false;
            var format = parsed.IncludeSeconds ? Cronos.CronFormat.IncludeSeconds : Cronos.CronFormat.Standard;
            if (!Restricts(fields, domIndex, format, parsed.Expression!) || !Restricts(fields, dowIndex, format, parsed.Expression!)) return false;
            dayOfMonth = fields[domIndex];
            dayOfWeek = fields[dowIndex];
            return true;
        }

        /// <summary>The schedule's fields as DistCron splits them (spaces and tabs).</summary>
        public static string[] Fields(string? schedule) =>
            schedule == null ? Array.Empty<string>() : schedule.Split(FieldSeparators, StringSplitOptions.RemoveEmptyEntries);

        private static readonly char[] FieldSeparators = { ' ', '\t' };

        private static readonly string[] DayNames = { "SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT" };

        private static bool IsEveryDay(string field) => field == "*" || field == "?";

        // Replacing the field with '*' gives another expression exactly when the field excluded some day.
        private static bool Restricts(string[] fields, int index, Cronos.CronFormat format, CronExpression expression)
        {
            var copy = (string[])fields.Clone();
            copy[index] = "*";
            try
            {
                return !CronExpression.Parse(string.Join(" ", copy), format).Equals(expression);
            }
            catch (CronFormatException)
            {
                return true;
            }
        }

        // A digit that stands for a day: not one of a step ("*/2"), of an occurrence ("#3") or of an H range.
        private static bool HasDayNumber(string field)
        {
            var inHashRange = false;
            for (var i = 0; i < field.Length; i++)
            {
                var c = field[i];
                if (c == '(') inHashRange = true;
                else if (c == ')') inHashRange = false;
                else if (c == '/' || c == '#')
                {
                    while (i + 1 < field.Length && char.IsDigit(field[i + 1])) i++;
                }
                else if (c >= '0' && c <= '9' && !inHashRange) return true;
            }

            return false;
        }

        private static string CronosReason(CronFormatException ex)
        {
            var message = ex.Message;
            if (message.StartsWith(CronosPrefix, StringComparison.Ordinal)) message = message.Substring(CronosPrefix.Length);
            return message.TrimEnd('.');
        }

        private static ScheduleParseResult ParseMacro(string text)
        {
            var lower = text.ToLowerInvariant();
            if (lower == "@reboot")
            {
                return ScheduleParseResult.Fail("@reboot is not a recurring schedule",
                    "run start-up work from an IHostedService instead of a cron job");
            }

            var includeSeconds = lower == "@every_second";
            try
            {
                var expression = CronExpression.Parse(lower, includeSeconds ? Cronos.CronFormat.IncludeSeconds : Cronos.CronFormat.Standard);
                return ScheduleParseResult.Ok(includeSeconds, lower, expression);
            }
            catch (CronFormatException ex)
            {
                return ScheduleParseResult.Fail(CronosReason(ex),
                    "known macros: @every_second, @every_minute, @hourly, @daily, @midnight, @weekly, @monthly, @yearly, @annually");
            }
        }

        private static string? HintFor(string[] fields, bool includeSeconds, string jobName)
        {
            var dayOfWeek = fields[fields.Length - 1];
            if (includeSeconds && LooksLikeYear(fields[5]))
            {
                return "6 fields are read seconds first (second minute hour day-of-month month day-of-week); the last field looks like a year, which DistCron does not support: drop it";
            }

            foreach (var part in dayOfWeek.Split(',', '-', '/', '#'))
            {
                if (int.TryParse(part, out var n) && n > 7 && part.IndexOf('/') < 0)
                {
                    return "day-of-week is 0-7 (0 and 7 are Sunday, 1 is Monday) or SUN-SAT; Quartz numbers days 1-7 from Sunday";
                }
            }

            if (includeSeconds && ParsesAsStandard(fields, 0, jobName))
            {
                return "6 fields are read seconds first (second minute hour day-of-month month day-of-week); the first 5 fields alone are a valid minute-first schedule: if that is what you meant, remove the 6th field";
            }

            if (Array.Exists(fields, f => f.IndexOf('?') >= 0))
            {
                return "this looks like Quartz syntax: DistCron reads 5 fields minute-first or 6 fields seconds-first, '?' only in day-of-month or day-of-week, and day-of-week 0-7 with 0 and 7 Sunday";
            }

            return null;
        }

        private static bool ParsesAsStandard(string[] fields, int start, string jobName)
        {
            var five = new string[5];
            Array.Copy(fields, start, five, 0, 5);
            try
            {
                CronExpression.Parse(ExpandHash(five, false, jobName), Cronos.CronFormat.Standard);
                return true;
            }
            catch (FormatException)
            {
                return false;
            }
        }

        private static bool LooksLikeYear(string field) =>
            field.Length == 4 && int.TryParse(field, out var year) && year >= 1970;

        private static string ExpandHash(string[] fields, bool includeSeconds, string jobName)
        {
            var offset = includeSeconds ? 0 : 1;
            var builder = new StringBuilder();
            for (var i = 0; i < fields.Length; i++)
            {
                if (i > 0) builder.Append(' ');
                var field = fields[i];
                if (field.IndexOf('H') < 0 && field.IndexOf('h') < 0)
                {
                    builder.Append(field);
                    continue;
                }

                var slot = i + offset;
                builder.Append(ExpandHashField(field, SecondsFirstMin[slot], SecondsFirstMax[slot], jobName, slot));
            }

            return builder.ToString();
        }

        // H | H/step | H(a-b) | H(a-b)/step, possibly inside a comma list.
        private static string ExpandHashField(string field, int min, int max, string jobName, int slot)
        {
            var parts = field.Split(',');
            for (var p = 0; p < parts.Length; p++)
            {
                var part = parts[p];
                if (part.Length == 0 || (part[0] != 'H' && part[0] != 'h'))
                {
                    continue;
                }

                var from = min;
                var to = max;
                var rest = part.Substring(1);
                if (rest.StartsWith("(", StringComparison.Ordinal))
                {
                    var close = rest.IndexOf(')');
                    var range = close > 0 ? rest.Substring(1, close - 1).Split('-') : Array.Empty<string>();
                    if (range.Length != 2 || !int.TryParse(range[0], out from) || !int.TryParse(range[1], out to) || from > to || from < min || to > max)
                    {
                        throw new FormatException($"'{part}' is not a valid H range: expected H(from-to) with {min} <= from <= to <= {max}");
                    }

                    rest = rest.Substring(close + 1);
                }

                var hash = StableHash.Fnv1a32(jobName + "#" + slot);
                if (rest.Length == 0)
                {
                    parts[p] = (from + (int)(hash % (uint)(to - from + 1))).ToString(System.Globalization.CultureInfo.InvariantCulture);
                }
                else if (rest[0] == '/' && int.TryParse(rest.Substring(1), out var step) && step > 0)
                {
                    var start = from + (int)(hash % (uint)Math.Min(step, to - from + 1));
                    parts[p] = start.ToString(System.Globalization.CultureInfo.InvariantCulture) + "-" + to.ToString(System.Globalization.CultureInfo.InvariantCulture) + "/" + step.ToString(System.Globalization.CultureInfo.InvariantCulture);
                }
                else
                {
                    throw new FormatException($"'{part}' is not a valid use of H");
                }
            }

            return string.Join(",", parts);
        }
    }

    /// <summary>Hashes that are the same in every process, on every OS and runtime (unlike string.GetHashCode).</summary>
    internal static class StableHash
    {
        public static uint Fnv1a32(string text)
        {
            var bytes = Encoding.UTF8.GetBytes(text);
            var hash = 2166136261u;
            foreach (var b in bytes)
            {
                hash ^= b;
                hash *= 16777619u;
            }

            return hash;
        }

        /// <summary>
        /// Stable hash of a job definition with durations as values: they are hashed in their canonical invariant
        /// form ("00:05:00"), so "0:5:0" and "00:05:00" give the same hash. The source generator uses this method
        /// and emits the result as a literal; hand-written definitions should use it too.
        /// </summary>
        public static string DefinitionWithDurations(string name, string schedule, string timeZone, int misfire, TimeSpan? timeout, TimeSpan? retryDelay, int maxRetries) =>
            Definition(name, schedule, timeZone, misfire, JobOptionText.Canonical(timeout), JobOptionText.Canonical(retryDelay), maxRetries);

        /// <summary>Stable hash of a job definition: SHA-256 of its canonical text, 16 lower-case hex digits.</summary>
        public static string Definition(string name, string schedule, string timeZone, int misfire, string? timeout, string? retryDelay, int maxRetries)
        {
            var canonical = string.Join("\n", name, schedule.Trim(), timeZone, misfire.ToString(System.Globalization.CultureInfo.InvariantCulture),
                timeout ?? string.Empty, retryDelay ?? string.Empty, maxRetries.ToString(System.Globalization.CultureInfo.InvariantCulture));
            // One hasher per thread: creating one per call costs more than hashing (the generator hashes every job
            // on every compilation change). ComputeHash resets the state after each use.
            var sha = t_sha256 ??= System.Security.Cryptography.SHA256.Create();
            var digest = sha.ComputeHash(Encoding.UTF8.GetBytes(canonical));
            var hex = new StringBuilder(16);
            for (var i = 0; i < 8; i++)
            {
                hex.Append(digest[i].ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
            }

            return hex.ToString();
        }

        [ThreadStatic]
        private static System.Security.Cryptography.SHA256? t_sha256;
    }
}
