// Shared by the runtime and the analyzer: the words that tell a user how to fix a [DistributedCron] option, so the
// build (diagnostics) and the start-up validation of a hand-written definition say the same thing. The rules
// themselves are in JobOptionText, ScheduleText and TimeZoneIds.
using System.Globalization;

namespace DistCron.Internal
{
    /// <summary>How to fix an invalid job option, worded once for the analyzer and the options validator.</summary>
    internal static class RuleText
    {
        /// <summary>What a job name may be, worded to follow "use" or "set Name explicitly to".</summary>
        public static readonly string NameRule =
            "at most " + JobOptionText.MaxNameLength.ToString(CultureInfo.InvariantCulture) + " characters from A-Z, a-z, 0-9, '.', '_', ':' and '-'";

        /// <summary>How to write a schedule, when the parser has no more specific hint.</summary>
        public const string ScheduleFix =
            "write 5 fields (minute hour day-of-month month day-of-week), 6 fields with seconds first, or a macro such as @hourly";

        /// <summary>A negative MaxRetries; {0} is the value (DCRON0006).</summary>
        public const string NegativeMaxRetriesFormat =
            "MaxRetries is {0}, but it cannot be negative; use 0 for no retries or a positive count";

        /// <summary>An undefined MisfirePolicy; {0} is the value (DCRON0014).</summary>
        public const string UndefinedMisfireFormat =
            "Misfire value {0} is not a defined MisfirePolicy; use MisfirePolicy.RunOnce or MisfirePolicy.Skip";

        /// <summary>The ids a time zone may be, worded to follow "use"; the caller says how to get UTC.</summary>
        public const string TimeZoneIdKinds = "an IANA id such as \"Europe/Paris\", a Windows id such as \"Romance Standard Time\"";

        /// <summary>The suggestion for a time zone id that is close to a known one.</summary>
        public static string DidYouMeanZone(string suggestion) => "did you mean \"" + suggestion + "\"? Ids use '_' for a space";

        /// <summary>Formats one of the <c>*Format</c> texts above (invariant culture, as the compiler formats diagnostics).</summary>
        public static string Format(string format, object value) => string.Format(CultureInfo.InvariantCulture, format, value);
    }
}
