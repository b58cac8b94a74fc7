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

    /// <summary>Why an operator paused the job (null: not paused, or paused without a reason by an older client).</summary>
    public string? PauseReason { get; init; }

    /// <summary>
    /// When a timed pause ends: the first node check after it resumes the job at its next occurrence (null: paused until
    /// resumed by hand, or not paused).
    /// </summary>
    public DateTimeOffset? PauseUntil { get; init; }

    /// <summary>The definition hash the code declares, before configuration overrides (null: unknown).</summary>
    internal string? CodeHash { get; init; }

    /// <summary>
    /// Where the job is declared and its options, as the node that wrote this definition declared them. Null: unknown
    /// (the row was seeded by a DistCron older than these facts, by a tool, or an older DistCron rewrote its definition
    /// since).
    /// </summary>
    public JobDefinitionInfo? Definition { get; init; }
}

/// <summary>
/// A job's declaration as the node that seeded its definition knew it: the declaring method and the options the
/// stored definition was built from (after configuration overrides). Schedule, time zone and enabled are the row's own
/// (<see cref="JobRow.Schedule"/>, <see cref="JobRow.TimeZone"/>, <see cref="JobRow.Disabled"/>).
/// </summary>
/// <param name="DeclaringType">Fully qualified name of the declaring type; <c>DistCronOptions</c> for a job added with <see cref="DistCronOptions.AddJob"/>.</param>
/// <param name="MethodName">The method's name; <c>AddJob</c> for a job added with <see cref="DistCronOptions.AddJob"/>.</param>
/// <param name="Format">Five-field or six-field (seconds first).</param>
/// <param name="Misfire">Misfire policy.</param>
/// <param name="Timeout">Run timeout (null: none).</param>
/// <param name="RetryDelay">Delay before the first retry (null: the default).</param>
/// <param name="MaxRetries">Retries after a failed run.</param>
public sealed record JobDefinitionInfo(
    string DeclaringType,
    string MethodName,
    CronFormat Format,
    MisfirePolicy Misfire,
    TimeSpan? Timeout,
    TimeSpan? RetryDelay,
    int MaxRetries)
{
    /// <summary>
    /// The configuration keys (<c>DistCron:Jobs:{name}:Schedule</c>, …) that changed the declared options; empty when
    /// the options are the declaration's own.
    /// </summary>
    public IReadOnlyList<string> OverriddenBy { get; init; } = [];

    /// <summary>True for a job registered in code with <see cref="DistCronOptions.AddJob"/> rather than declared by an attribute.</summary>
    public bool IsAddedInCode => DeclaringType == nameof(DistCronOptions) && MethodName == nameof(DistCronOptions.AddJob);

    /// <summary>Equal when every option and the overriding keys (in order) are equal: two reads of one row compare equal.</summary>
    public bool Equals(JobDefinitionInfo? other) =>
        other is not null && DeclaringType == other.DeclaringType && MethodName == other.MethodName && Format == other.Format
        && Misfire == other.Misfire && Timeout == other.Timeout && RetryDelay == other.RetryDelay && MaxRetries == other.MaxRetries
        && OverriddenBy.SequenceEqual(other.OverriddenBy);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(DeclaringType, MethodName, Format, Misfire, Timeout, RetryDelay, MaxRetries, OverriddenBy.Count);
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
public sealed record NodeRow(string NodeId, string Host, int ProcessId, DateTimeOffset StartedAt, DateTimeOffset HeartbeatAt, IReadOnlyList<string> JobNames)
{
    /// <summary>The DistCron library version the node runs ("1.2.0"; null: unknown, registered by an older DistCron).</summary>
    public string? LibraryVersion { get; init; }

    /// <summary>The node's <see cref="DistCronOptions.DeploymentVersion"/> (null: not set, or unknown).</summary>
    public long? DeploymentVersion { get; init; }

    /// <summary>The node's .NET runtime (".NET 10.0.1"; null: unknown).</summary>
    public string? Runtime { get; init; }
}

/// <summary>An operator action recorded in the audit trail.</summary>
public enum AuditAction
{
    /// <summary>The job was paused (or its pause's reason or end changed).</summary>
    Pause = 0,
    /// <summary>The job was resumed, by hand or by a node when its timed pause ended.</summary>
    Resume = 1,
    /// <summary>A run was requested now ("trigger now").</summary>
    Trigger = 2,
}

/// <summary>One audit row: who did what to which job, when (database clock), and why.</summary>
/// <param name="Id">Increasing with time; the keyset for paging.</param>
/// <param name="JobName">The job acted on.</param>
/// <param name="Action">What was done.</param>
/// <param name="Actor">Who did it: the dashboard's signed-in user, the CLI's OS user, the caller's name for the client, or <c>distcron-node:{id}</c> for a timed pause's end.</param>
/// <param name="Reason">Why, as given (required for a pause from the dashboard).</param>
/// <param name="PauseUntil">For a pause: when it ends by itself (null: until resumed).</param>
/// <param name="At">When the action was written (database clock).</param>
public sealed record AuditRecord(long Id, string JobName, AuditAction Action, string Actor, string? Reason, DateTimeOffset? PauseUntil, DateTimeOffset At);

/// <summary>A page request for <see cref="IDistCronClient.ListAuditAsync"/>.</summary>
/// <param name="Limit">Most rows returned (1–1000).</param>
/// <param name="BeforeId">Only rows with an id below this (the last id of the previous page); null: from the newest.</param>
/// <param name="JobName">Only this job's rows; null: every job of the app.</param>
public sealed record AuditQuery(int Limit = 50, long? BeforeId = null, string? JobName = null)
{
    /// <summary>The largest page a store returns.</summary>
    public const int MaxLimit = 1000;

    /// <summary>Throws a clear error for an out-of-range limit.</summary>
    internal void Validate()
    {
        if (Limit is < 1 or > MaxLimit) throw new ArgumentOutOfRangeException(nameof(Limit), Limit, $"The audit page size must be between 1 and {MaxLimit}.");
    }
}
