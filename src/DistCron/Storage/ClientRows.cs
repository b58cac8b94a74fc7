namespace DistCron;

// What IDistCronClient returns and takes: the public face of the store's rows. In the DistCron namespace, so a user
// of the client needs no other using directive.

/// <summary>How a run ended.</summary>
public enum RunStatus
{
    /// <summary>Returned normally.</summary>
    Succeeded = 0,
    /// <summary>Threw an exception.</summary>
    Failed = 1,
    /// <summary>Exceeded its timeout.</summary>
    TimedOut = 2,
    /// <summary>Not run: its occurrence misfired under <see cref="MisfirePolicy.Skip"/>.</summary>
    Skipped = 3,
}

/// <summary>A job as stored.</summary>
public sealed record JobRow(
    string Name,
    string Schedule,
    string TimeZone,
    string DefinitionHash,
    DateTimeOffset? NextDueAt,
    DateTimeOffset? OccurrenceAt,
    int Attempt,
    string? OwnerNode,
    long Fence,
    DateTimeOffset? LeaseUntil,
    bool Paused,
    bool Orphaned,
    string? Error,
    RunStatus? LastStatus,
    string? LastError,
    string? LastNode,
    DateTimeOffset? LastFinishedAt)
{
    /// <summary>
    /// Raised by every write that restarts the row's schedule state: a seed of a new definition, and a resume with a
    /// new due time. Never lowered. A completion or a conditional resume computed from an older revision does not
    /// overwrite the newer state.
    /// </summary>
    public long ScheduleRevision { get; init; }

    /// <summary>When a "trigger now" request was made that no run has satisfied yet (null: none pending).</summary>
    public DateTimeOffset? TriggerRequestedAt { get; init; }

    /// <summary>When the last recorded run started (database-clock estimate; null: never ran, or skipped).</summary>
    public DateTimeOffset? LastStartedAt { get; init; }

    /// <summary>How long the last recorded run took (null: never ran).</summary>
    public TimeSpan? LastDuration { get; init; }

    /// <summary>
    /// Disabled by the deployment's configuration (<c>DistCron:Jobs:{name}:Enabled = false</c>): registered and listed,
    /// never claimed, not even when triggered. Not an operator's pause (<see cref="Paused"/>): a redeploy that enables
    /// it again is what brings it back.
    /// </summary>
    public bool Disabled { get; init; }

    /// <summary>
    /// The <see cref="DistCronOptions.DeploymentVersion"/> of the node that wrote this definition (null: unversioned).
    /// </summary>
    public long? DefinitionVersion { get; init; }

    /// <summary>The definition hash the code declares, before configuration overrides (null: unknown).</summary>
    internal string? CodeHash { get; init; }
}

/// <summary>One history row.</summary>
public sealed record RunRecord(
    long Id,
    string JobName,
    DateTimeOffset OccurrenceAt,
    int Attempt,
    string NodeId,
    long Fence,
    RunStatus Status,
    DateTimeOffset? StartedAt,
    DateTimeOffset FinishedAt,
    TimeSpan Duration,
    string? ErrorType,
    string? ErrorMessage,
    bool IsManualTrigger);

/// <summary>A page request for <see cref="IDistCronClient.GetHistoryAsync"/>.</summary>
/// <param name="Limit">Most rows returned (1–1000).</param>
/// <param name="BeforeId">Only rows with an id below this (the last id of the previous page); null: from the newest.</param>
/// <param name="Status">Only rows with this status; null: any.</param>
public sealed record HistoryQuery(int Limit = 50, long? BeforeId = null, RunStatus? Status = null)
{
    /// <summary>The largest page a store returns.</summary>
    public const int MaxLimit = 1000;

    /// <summary>Throws a clear error for an out-of-range limit.</summary>
    internal void Validate()
    {
        if (Limit is < 1 or > MaxLimit) throw new ArgumentOutOfRangeException(nameof(Limit), Limit, $"The history page size must be between 1 and {MaxLimit}.");
    }
}

/// <summary>A registered node.</summary>
/// <param name="NodeId">Unique per process.</param>
/// <param name="Host">Host name.</param>
/// <param name="ProcessId">OS process id.</param>
/// <param name="StartedAt">When the node first registered (database time).</param>
/// <param name="HeartbeatAt">Its last registration heartbeat (database time).</param>
/// <param name="JobNames">Jobs it has code for.</param>
public sealed record NodeRow(string NodeId, string Host, int ProcessId, DateTimeOffset StartedAt, DateTimeOffset HeartbeatAt, IReadOnlyList<string> JobNames);
