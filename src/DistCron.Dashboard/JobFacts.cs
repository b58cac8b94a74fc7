namespace DistCron.Dashboard;

/// <summary>The states a job is counted and filtered by; pure rules over a row and the database's now.</summary>
internal static class JobFacts
{
    /// <summary>The filters the jobs page offers, in the order shown.</summary>
    public static readonly string[] Filters = ["all", "running", "overdue", "errored", "failing", "paused", "orphaned", "disabled"];

    /// <summary>The store's state for a filter of <see cref="Filters"/> (null: all).</summary>
    public static JobState? State(string filter) => filter switch
    {
        "running" => JobState.Running,
        "overdue" => JobState.Overdue,
        "errored" => JobState.Errored,
        "failing" => JobState.Failing,
        "paused" => JobState.Paused,
        "orphaned" => JobState.Orphaned,
        "disabled" => JobState.Disabled,
        _ => null,
    };

    public static bool IsRunning(JobRow job, DateTimeOffset now) => DistCron.Json.JsonContract.IsRunning(job, now);

    /// <summary>Due longer ago than <paramref name="grace"/>, not running, not paused, not errored: nobody is running it.</summary>
    public static bool IsOverdue(JobRow job, DateTimeOffset now, TimeSpan grace) =>
        job.Error is null && !job.Paused && !IsRunning(job, now) && job.NextDueAt is { } due && now - due > grace;

    /// <summary>Its last recorded run failed or timed out.</summary>
    public static bool IsFailing(JobRow job) => job.LastStatus is RunStatus.Failed or RunStatus.TimedOut;

    public static bool Matches(JobRow job, string filter, DateTimeOffset now, TimeSpan grace) => filter switch
    {
        "running" => IsRunning(job, now),
        "overdue" => IsOverdue(job, now, grace),
        "errored" => job.Error is not null,
        "failing" => IsFailing(job),
        "paused" => job.Paused,
        "orphaned" => job.Orphaned,
        "disabled" => job.Disabled,
        _ => true,
    };
}
