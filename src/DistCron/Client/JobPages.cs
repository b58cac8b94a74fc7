namespace DistCron;

/// <summary>A state the jobs of an app are filtered and counted by (see <see cref="JobPageQuery.State"/>).</summary>
public enum JobState
{
    /// <summary>A node holds a live lease on it.</summary>
    Running = 0,
    /// <summary>Due longer ago than <see cref="JobPageQuery.OverdueAfter"/> and nobody runs it: not running, paused, disabled or errored.</summary>
    Overdue = 1,
    /// <summary>Marked errored (bad schedule or time zone); never claimed until seeded with a valid definition.</summary>
    Errored = 2,
    /// <summary>Its last recorded run failed or timed out.</summary>
    Failing = 3,
    /// <summary>Paused by an operator.</summary>
    Paused = 4,
    /// <summary>No live node has code for it.</summary>
    Orphaned = 5,
    /// <summary>Disabled by the deployment's configuration.</summary>
    Disabled = 6,
}

/// <summary>The order of a page of jobs; ties are broken by name, so the order is total and keyset paging is stable.</summary>
public enum JobSort
{
    /// <summary>By name.</summary>
    Name = 0,
    /// <summary>Soonest due first; jobs with no due time last.</summary>
    NextDue = 1,
    /// <summary>Most recently finished first; jobs that never ran last.</summary>
    LastFinished = 2,
    /// <summary>Longest last run first; jobs that never ran last.</summary>
    LastDuration = 3,
}

/// <summary>A page request for <see cref="IDistCronClient.GetJobPageAsync"/>.</summary>
/// <param name="Limit">Most jobs returned (1–1000).</param>
/// <param name="Search">
/// Only jobs whose name contains this text, ignoring case (ASCII letters on SQLite); null or empty: every job. A substring,
/// not a prefix, because job names are usually qualified (<c>Billing.Invoices.Send</c>) and an operator remembers a part.
/// </param>
/// <param name="State">Only jobs in this state; null: any.</param>
/// <param name="Sort">The order.</param>
/// <param name="After">
/// The <see cref="JobListPage.Next"/> of the previous page (opaque; valid only with the same <paramref name="Sort"/>); null:
/// the first page. Keyset paging: a job added or changed between two pages is never shown twice on account of the pages
/// shifting, unlike offset paging.
/// </param>
public sealed record JobPageQuery(int Limit = 50, string? Search = null, JobState? State = null, JobSort Sort = JobSort.Name, string? After = null)
{
    /// <summary>The largest page a store returns.</summary>
    public const int MaxLimit = 1000;

    /// <summary>How far behind the database's now a due time must be for <see cref="JobState.Overdue"/> (default 1 minute).</summary>
    public TimeSpan OverdueAfter { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Throws a clear error for an out-of-range limit or grace, or a cursor of another sort.</summary>
    internal void Validate()
    {
        if (Limit is < 1 or > MaxLimit) throw new ArgumentOutOfRangeException(nameof(Limit), Limit, $"The jobs page size must be between 1 and {MaxLimit}.");
        if (OverdueAfter < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(OverdueAfter), OverdueAfter, "OverdueAfter must not be negative.");
        if (State is { } state && !Enum.IsDefined(state)) throw new ArgumentOutOfRangeException(nameof(State), state, "Unknown job state.");
        if (!Enum.IsDefined(Sort)) throw new ArgumentOutOfRangeException(nameof(Sort), Sort, "Unknown job sort.");
        if (After is not null) Storage.JobCursor.Decode(After, Sort);
    }
}

/// <summary>One page of jobs.</summary>
/// <param name="Jobs">The jobs, in the query's order.</param>
/// <param name="Next">Pass as <see cref="JobPageQuery.After"/> for the next page; null: this is the last page.</param>
public sealed record JobListPage(IReadOnlyList<JobRow> Jobs, string? Next);

/// <summary>How many of the app's jobs are in each state (a job can be in several, e.g. paused and failing).</summary>
public sealed record JobCounts(int All, int Running, int Overdue, int Errored, int Failing, int Paused, int Orphaned, int Disabled)
{
    /// <summary>The count for one state.</summary>
    public int Of(JobState state) => state switch
    {
        JobState.Running => Running,
        JobState.Overdue => Overdue,
        JobState.Errored => Errored,
        JobState.Failing => Failing,
        JobState.Paused => Paused,
        JobState.Orphaned => Orphaned,
        JobState.Disabled => Disabled,
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, "Unknown job state."),
    };
}
