namespace DistCron.Scheduling;

/// <summary>What the engine does with a claimed occurrence.</summary>
/// <param name="Run">True: run it. False: complete it as <see cref="RunStatus.Skipped"/> (misfire under Skip).</param>
/// <param name="CatchUp">
/// True when this run stands for every occurrence missed up to now (a misfire under RunOnce, a retry of such a run,
/// or a manual trigger): its completion resumes the schedule after the database's now, not after its occurrence.
/// </param>
/// <param name="Misfired">True when the row was due more than the misfire threshold before the claim.</param>
internal readonly record struct ClaimDecision(bool Run, bool CatchUp, bool Misfired);

/// <summary>The due time a completion writes: when the row is next claimable, for which occurrence, which attempt.</summary>
/// <param name="DueAt">When the row becomes claimable; null when the schedule never fires again.</param>
/// <param name="OccurrenceAt">The scheduled occurrence that due time belongs to.</param>
/// <param name="Attempt">1 for a new occurrence, n + 1 for a retry.</param>
internal readonly record struct NextDue(DateTimeOffset? DueAt, DateTimeOffset? OccurrenceAt, int Attempt)
{
    public static NextDue Occurrence(DateTimeOffset? at) => new(at, at, 1);
}

/// <summary>
/// The scheduling rules, as pure functions of their inputs. Every "now" here is the DATABASE clock.
/// </summary>
/// <remarks>
/// <para><b>Misfire.</b> A claimed row misfired when it became due (<c>DueAt</c>: the occurrence, or a retry time)
/// more than the misfire threshold before the claim. RunOnce runs the claimed (oldest missed) occurrence once and its
/// completion resumes at the first occurrence after the database now, so all missed slots collapse into that one
/// catch-up. Skip does not run it: the row is completed as Skipped with the same "first occurrence after now".</para>
/// <para><b>Overrun.</b> When a run ends after its next occurrence is already late by more than the threshold, Skip
/// jumps straight to the first occurrence after now (no history row per missed slot); RunOnce leaves the next due at the
/// oldest missed occurrence, which is claimed at once, seen as misfired, run once and collapsed as above.</para>
/// <para><b>Retry.</b> Failed (or timed out) attempt n of an occurrence with MaxRetries m is retried when n &lt;= m, at
/// now + RetryDelay * 2^(n-1), capped at <see cref="MaxRetryDelay"/>; a retry never runs at or after the next regular
/// occurrence: when it would, the retry is dropped and the job moves on to that occurrence (attempt 1), because the
/// next regular run supersedes it and a single row cannot hold both.</para>
/// </remarks>
internal static class RunRules
{
    /// <summary>Retry delay when the definition gives none.</summary>
    public static readonly TimeSpan DefaultRetryDelay = TimeSpan.FromSeconds(10);

    /// <summary>The exponential retry delay never exceeds this.</summary>
    public static readonly TimeSpan MaxRetryDelay = TimeSpan.FromHours(1);

    /// <summary>The first due time of a job seeded at database time <paramref name="dbNow"/>.</summary>
    public static NextDue FirstDue(JobSchedule schedule, DateTimeOffset dbNow) => NextDue.Occurrence(schedule.NextAfter(dbNow));

    /// <summary>True when a row due at <paramref name="dueAt"/> is claimed later than the threshold allows.</summary>
    public static bool IsMisfired(DateTimeOffset dueAt, DateTimeOffset dbNow, TimeSpan threshold) => dbNow - dueAt > threshold;

    /// <summary>Decides, right after a claim, whether to run the claimed occurrence.</summary>
    public static ClaimDecision OnClaim(
        JobSchedule schedule,
        MisfirePolicy policy,
        DateTimeOffset occurrenceAt,
        DateTimeOffset dueAt,
        int attempt,
        bool isManualTrigger,
        DateTimeOffset dbNow,
        TimeSpan threshold)
    {
        // A manual trigger is run whenever it is claimed; the regular schedule resumes after it.
        if (isManualTrigger) return new ClaimDecision(Run: true, CatchUp: true, Misfired: false);

        if (IsMisfired(dueAt, dbNow, threshold))
        {
            return policy == MisfirePolicy.Skip
                ? new ClaimDecision(Run: false, CatchUp: true, Misfired: true)
                : new ClaimDecision(Run: true, CatchUp: true, Misfired: true);
        }

        // A regular retry is always due before the occurrence's next regular slot (see AfterRun). A retry due at or
        // after that slot can only be the retry of a catch-up run, which must keep collapsing the missed slots.
        var catchUpRetry = attempt > 1 && schedule.NextAfter(occurrenceAt) is { } next && next <= dueAt;
        return new ClaimDecision(Run: true, CatchUp: catchUpRetry, Misfired: false);
    }

    /// <summary>The next due time of an occurrence completed as Skipped (misfire under Skip).</summary>
    public static NextDue AfterSkip(JobSchedule schedule, DateTimeOffset dbNow) => NextDue.Occurrence(schedule.NextAfter(dbNow));

    /// <summary>The next due time after a run ended with <paramref name="succeeded"/> at database time <paramref name="dbNow"/>.</summary>
    public static NextDue AfterRun(
        JobSchedule schedule,
        MisfirePolicy policy,
        ClaimDecision decision,
        DateTimeOffset occurrenceAt,
        int attempt,
        bool succeeded,
        int maxRetries,
        TimeSpan? retryDelay,
        DateTimeOffset dbNow,
        TimeSpan threshold)
    {
        var nextRegular = schedule.NextAfter(decision.CatchUp ? TimeMath.Max(occurrenceAt, dbNow) : occurrenceAt);

        if (!succeeded && attempt <= maxRetries)
        {
            var retryAt = dbNow + RetryDelay(retryDelay, attempt);
            if (nextRegular is null || retryAt < nextRegular)
            {
                return new NextDue(retryAt, occurrenceAt, attempt + 1);
            }
        }

        if (nextRegular is { } slot && IsMisfired(slot, dbNow, threshold) && policy == MisfirePolicy.Skip)
        {
            return NextDue.Occurrence(schedule.NextAfter(dbNow));
        }

        return NextDue.Occurrence(nextRegular);
    }

    /// <summary>RetryDelay * 2^(attempt-1), capped at <see cref="MaxRetryDelay"/>.</summary>
    public static TimeSpan RetryDelay(TimeSpan? configured, int attempt)
    {
        var baseDelay = configured is { } d && d > TimeSpan.Zero ? d : DefaultRetryDelay;
        var exponent = Math.Clamp(attempt - 1, 0, 30);
        var ticks = baseDelay.Ticks * Math.Pow(2, exponent);
        return ticks >= MaxRetryDelay.Ticks ? MaxRetryDelay : TimeSpan.FromTicks((long)ticks);
    }
}
