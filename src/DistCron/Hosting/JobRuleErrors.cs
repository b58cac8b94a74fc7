using DistCron.Internal;
using DistCron.Scheduling;

namespace DistCron.Hosting;

/// <summary>
/// What is wrong with one job option, in the analyzer's words (shared rule texts), without saying where it came from:
/// start-up validation prefixes the job ("DistCron job 'x' (Type.Method)") or the configuration key
/// ("DistCron:Jobs:x:Schedule"). Null: valid.
/// </summary>
internal static class JobRuleErrors
{
    public static string? Schedule(string schedule, ScheduleParseResult parsed) =>
        parsed.Success ? null
            : $"schedule \"{PrintableText.Printable(schedule)}\" is not a valid cron expression: {parsed.Error}; {parsed.Hint ?? RuleText.ScheduleFix}";

    public static string? TimeZone(string timeZone) =>
        string.IsNullOrWhiteSpace(timeZone) ? "TimeZone is empty; use \"UTC\" or an IANA/Windows id"
        : TimeZoneResolver.TryResolve(timeZone, out _) ? null
        : TimeZoneError(timeZone);

    public static string? Timeout(TimeSpan? timeout) =>
        timeout is { } value && !JobOptionText.DurationInRange(value, allowZero: false)
            ? $"Timeout ({value}) must be {JobOptionText.DurationRange(allowZero: false)}; use null for no time limit, or a positive duration such as 00:05:00"
            : null;

    // Zero is allowed, as in the attribute: it means the default delay (RunRules.DefaultRetryDelay).
    public static string? RetryDelay(TimeSpan? delay) =>
        delay is { } value && !JobOptionText.DurationInRange(value, allowZero: true)
            ? $"RetryDelay ({value}) must be {JobOptionText.DurationRange(allowZero: true)}; use null for the default (10 s), or a duration such as 00:00:10"
            : null;

    public static string? MaxRetries(int maxRetries) =>
        maxRetries < 0 ? RuleText.Format(RuleText.NegativeMaxRetriesFormat, maxRetries) : null;

    public static string? Misfire(MisfirePolicy misfire) =>
        Enum.IsDefined(misfire) ? null : RuleText.Format(RuleText.UndefinedMisfireFormat, (int)misfire);

    // The analyzer only warns (DCRON0003): an id it does not know may still exist on the host. At startup the host
    // decides, so an id it cannot resolve is an error, with the analyzer's suggestion when there is one.
    private static string TimeZoneError(string id)
    {
        var shown = PrintableText.Printable(id);
        if (TimeZoneIds.MalformedReason(id) is { } malformed)
        {
            return $"time zone \"{shown}\" {malformed}, which no host accepts (DCRON0018); use {RuleText.TimeZoneIdKinds}, or \"UTC\"";
        }

        if (TimeZoneIds.IsKnown(TimeZoneIds.Normalize(id)))
        {
            return $"time zone \"{shown}\" is a known id but is not installed on this host; install the time zone database (tzdata, or ICU for Windows ids) or use another id";
        }

        var fix = TimeZoneIds.SuggestionFor(id) is { } suggestion
            ? RuleText.DidYouMeanZone(suggestion)
            : "use " + RuleText.TimeZoneIdKinds + ", or \"UTC\"";
        return $"time zone \"{shown}\" is not a known IANA or Windows time zone id; {fix}";
    }
}
