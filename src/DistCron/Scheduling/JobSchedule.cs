using Cronos;

namespace DistCron.Scheduling;

/// <summary>
/// A job's resolved schedule: the Cronos expression (with <c>H</c> already expanded for the job's name) and its time
/// zone. Immutable and shared; obtained from <see cref="ScheduleResolver"/>.
/// </summary>
internal sealed class JobSchedule
{
    internal JobSchedule(CronExpression expression, TimeZoneInfo timeZone, bool includeSeconds, string expandedText)
    {
        Expression = expression;
        TimeZone = timeZone;
        IncludeSeconds = includeSeconds;
        ExpandedText = expandedText;
    }

    public CronExpression Expression { get; }

    public TimeZoneInfo TimeZone { get; }

    /// <summary>True for a six-field (seconds-first) schedule.</summary>
    public bool IncludeSeconds { get; }

    /// <summary>The cron text handed to Cronos (after <c>H</c> expansion).</summary>
    public string ExpandedText { get; }

    /// <summary>
    /// The first occurrence strictly after <paramref name="instant"/>, evaluated in the job's time zone (Cronos applies
    /// the DST rules: a time skipped by spring-forward fires at the end of the gap, and an ambiguous fall-back time
    /// fires once, except for interval fields that also fire in the repeated hour). Returned in UTC; null when the
    /// schedule never fires again.
    /// </summary>
    public DateTimeOffset? NextAfter(DateTimeOffset instant)
    {
        var next = Expression.GetNextOccurrence(instant, TimeZone, inclusive: false);
        return next?.ToUniversalTime();
    }
}
