namespace DistCron.Storage;

/// <summary>
/// A crontab row to upsert. Its first due time is computed by the store inside the seed's transaction, from
/// <see cref="FirstDueAfter"/> and the database clock read under the row locks; <see cref="NextDueAt"/> is only the
/// fallback for callers that place a due time directly (tools, tests).
/// </summary>
/// <param name="Name">Job name.</param>
/// <param name="Schedule">Schedule text.</param>
/// <param name="TimeZone">Time zone id.</param>
/// <param name="DefinitionHash">Stable definition hash.</param>
/// <param name="NextDueAt">
/// First due occurrence (also the occurrence), or null when the schedule never fires. Used only when
/// <see cref="FirstDueAfter"/> is null.
/// </param>
/// <param name="DefinitionVersion">
/// The seeding node's <see cref="DistCronOptions.DeploymentVersion"/>: a row whose definition was written by a higher
/// version is never overwritten by this seed. Null: unversioned (the definition hash alone decides).
/// </param>
public sealed record SeedJob(string Name, string Schedule, string TimeZone, string DefinitionHash, DateTimeOffset? NextDueAt, long? DefinitionVersion = null)
{
    /// <summary>
    /// The schedule's first occurrence strictly after a time (null: never again). When set, the store computes a new
    /// or changed row's due time with it inside the seed's write transaction, after the existing rows are locked:
    /// the first occurrence after the database time read under those locks, or after the occurrence a node is running
    /// (a claimed row) when that is later. A due time computed before the write (a node's start-up clock read) can
    /// name an occurrence the old definition ran or is running meanwhile: it would run twice.
    /// </summary>
    public Func<DateTimeOffset, DateTimeOffset?>? FirstDueAfter { get; init; }

    /// <summary>
    /// The due time this seed writes to a new or changed row, given the database time read under the row's lock and
    /// the occurrence in flight on that row (null: not claimed).
    /// </summary>
    /// <summary>
    /// A claimed row runs its scheduled occurrence only when it was due within this much of the claim (the engine
    /// claims at most 100 ms ahead); otherwise the claim is a manual trigger, whose run is not the row's occurrence,
    /// and a new definition must not wait for the old schedule's next occurrence. Generous: misreading a trigger
    /// claimed within it as scheduled delays the new schedule by at most this much.
    /// </summary>
    internal static readonly TimeSpan ScheduledClaimWindow = TimeSpan.FromMinutes(1);

    internal DateTimeOffset? DueUnderLock(DateTimeOffset databaseNow, DateTimeOffset? inFlightOccurrence)
    {
        if (FirstDueAfter is not { } firstAfter) return NextDueAt;
        var after = inFlightOccurrence is { } running && running > databaseNow ? running : databaseNow;
        return firstAfter(after);
    }
}

/// <summary>A live node.</summary>
/// <param name="App">Application name.</param>
/// <param name="NodeId">Unique per process.</param>
/// <param name="Host">Host name.</param>
/// <param name="ProcessId">OS process id.</param>
/// <param name="JobNames">Jobs this node has code for.</param>
public sealed record NodeInfo(string App, string NodeId, string Host, int ProcessId, IReadOnlyList<string> JobNames);

/// <summary>Identifies one claim: every fenced write carries it.</summary>
/// <param name="App">Application name.</param>
/// <param name="JobName">Job name.</param>
/// <param name="NodeId">The claiming node.</param>
/// <param name="Fence">The fencing token set by the claim.</param>
public readonly record struct ClaimToken(string App, string JobName, string NodeId, long Fence);

/// <summary>A job this node now owns.</summary>
/// <param name="Token">The claim.</param>
/// <param name="OccurrenceAt">The scheduled occurrence being run.</param>
/// <param name="Attempt">1 for the first attempt at this occurrence.</param>
/// <param name="DueAt">When the row became due (the occurrence, or a retry time).</param>
/// <param name="LeaseUntil">When the lease ends unless extended.</param>
/// <param name="Schedule">The row's schedule text (as stored).</param>
/// <param name="TimeZone">The row's time zone id (as stored).</param>
/// <param name="DefinitionHash">The row's definition hash.</param>
/// <param name="IsManualTrigger">True when the claim is for a "trigger now" request.</param>
/// <param name="ScheduleRevision">
/// The row's schedule revision when it was claimed (see <see cref="JobRow.ScheduleRevision"/>): the completion carries
/// it back (<see cref="Completion.ScheduleRevision"/>) so that a redeploy or a resume during the run wins over it.
/// </param>
public sealed record ClaimedJob(
    ClaimToken Token,
    DateTimeOffset OccurrenceAt,
    int Attempt,
    DateTimeOffset DueAt,
    DateTimeOffset LeaseUntil,
    string Schedule,
    string TimeZone,
    string DefinitionHash,
    bool IsManualTrigger = false,
    long ScheduleRevision = 0);

/// <summary>What one claim round asks for.</summary>
/// <param name="App">Application name.</param>
/// <param name="NodeId">The claiming node.</param>
/// <param name="JobNames">
/// Only these jobs are claimed; null: any job of the app not in <see cref="ExcludedNames"/>. A node with many jobs
/// passes null and excludes the few it must not claim: a long list of names costs the database planning and lookups on
/// every claim, an exclusion list of a few names costs nothing.
/// </param>
/// <param name="MaxJobs">At most this many rows.</param>
/// <param name="Lease">Each claimed row's lease: lease_until = now() + lease.</param>
public sealed record ClaimRequest(string App, string NodeId, IReadOnlyCollection<string>? JobNames, int MaxJobs, TimeSpan Lease)
{
    /// <summary>Jobs never claimed by this request (e.g. those the node is still running, or has no code for).</summary>
    public IReadOnlyCollection<string> ExcludedNames { get; init; } = [];

    /// <summary>
    /// Also claims rows due by their schedule within this much after the database's now (zero: only rows already due).
    /// Such a claim's <see cref="ClaimedJob.DueAt"/> lies in the future: the node holds the lease and starts the run
    /// at that instant, so the claim and verify round trips are no longer between the due time and the start.
    /// </summary>
    public TimeSpan Ahead { get; init; }

    /// <summary>
    /// When set, the claim also keeps this node's registration alive, so an idle node costs one statement per poll: it
    /// refreshes the node's heartbeat once it is older than a sixth of this window (only while the node is still live,
    /// so a node that fell silent registers in full), and reports in <see cref="ClaimBatch.RegistrationNeeded"/>
    /// whether the node must call <see cref="IJobStore.RegisterNodeAsync"/>: its row is missing or no longer live, or
    /// the set of other live nodes changed since its last registration (orphan flags may be stale).
    /// Null: the claim leaves the nodes table alone.
    /// </summary>
    public TimeSpan? NodeLiveWindow { get; init; }

    /// <summary>
    /// A hint: the claim may start its search for rows due by schedule just after this position (the
    /// <see cref="ClaimBatch.Resume"/> of this node's previous claim) instead of at the oldest due row. Null: from the
    /// start. Rows before the position are then left to a later claim without it, so a caller passes one only for a
    /// short while after a claim from the start (the node: at most its poll interval, and only while every claim comes back
    /// full). Manual triggers and the next due time reported when the batch is not full are never affected. A store
    /// whose search costs nothing extra from the start may ignore it.
    /// </summary>
    public ClaimCursor? After { get; init; }
}

/// <summary>A position in claim order (due time, then job name, in the store's own collation).</summary>
/// <param name="DueAt">The due time by schedule.</param>
/// <param name="JobName">The job name.</param>
public sealed record ClaimCursor(DateTimeOffset DueAt, string JobName);

/// <summary>The result of one claim round.</summary>
/// <param name="Claimed">Jobs claimed by this node.</param>
/// <param name="DatabaseNow">The database time as late in the claim as the store can read it (the node's clock estimate is
/// anchored on it); never later than the moment the result was sent.</param>
/// <param name="EarliestDueAt">Earliest due time of this node's jobs not claimed now (null: none scheduled). When the batch is full
/// (as many rows as requested) a store may report <paramref name="DatabaseNow"/> instead of computing it: more may be due now.</param>
/// <param name="RegistrationNeeded">See <see cref="ClaimRequest.NodeLiveWindow"/>; always false when it was not set.</param>
public sealed record ClaimBatch(IReadOnlyList<ClaimedJob> Claimed, DateTimeOffset DatabaseNow, DateTimeOffset? EarliestDueAt, bool RegistrationNeeded = false)
{
    /// <summary>
    /// Where the next claim may resume (<see cref="ClaimRequest.After"/>): the last row claimed by schedule, in claim
    /// order. Every row before it that this claim did not take was held by a lease or by another claim at that moment.
    /// Null when nothing was claimed by schedule, or when the store does not use positions.
    /// </summary>
    public ClaimCursor? Resume { get; init; }
}

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

/// <summary>A fenced completion.</summary>
/// <param name="Claim">The claim being completed.</param>
/// <param name="Status">Outcome.</param>
/// <param name="OccurrenceAt">The occurrence that ran.</param>
/// <param name="Attempt">Attempt number that ran.</param>
/// <param name="StartedAt">Database-clock estimate of when the method was entered (null when skipped).</param>
/// <param name="Duration">How long the method ran.</param>
/// <param name="ErrorType">Exception type name, when failed.</param>
/// <param name="ErrorMessage">Exception message, truncated by the caller.</param>
/// <param name="NextDueAt">When the job is next due (occurrence or retry time); null: never.</param>
/// <param name="NextOccurrenceAt">The occurrence the next due time belongs to.</param>
/// <param name="NextAttempt">Attempt number of the next due run.</param>
/// <param name="IsManualTrigger">Whether this run was a manual trigger.</param>
/// <param name="ScheduleRevision">
/// The <see cref="ClaimedJob.ScheduleRevision"/> the run was claimed under. When the row's revision differs at
/// completion (a new definition was seeded, or the job was resumed with a new due time, while the run was in flight),
/// the outcome is still recorded and the claim cleared, but <paramref name="NextDueAt"/>,
/// <paramref name="NextOccurrenceAt"/> and <paramref name="NextAttempt"/> are ignored: they were computed from a
/// schedule state that no longer exists, and the row's own state stands. Null: written whatever the row's revision
/// (for callers that do not track it; the engine always passes the claim's).
/// </param>
public sealed record Completion(
    ClaimToken Claim,
    RunStatus Status,
    DateTimeOffset OccurrenceAt,
    int Attempt,
    DateTimeOffset? StartedAt,
    TimeSpan Duration,
    string? ErrorType,
    string? ErrorMessage,
    DateTimeOffset? NextDueAt,
    DateTimeOffset? NextOccurrenceAt,
    int NextAttempt,
    bool IsManualTrigger = false,
    long? ScheduleRevision = null);

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
}

/// <summary>What <see cref="IJobStore.ResumeAsync(string, string, DateTimeOffset?, long?, CancellationToken)"/> did.</summary>
public enum ResumeOutcome
{
    /// <summary>No such job.</summary>
    NotFound = 0,
    /// <summary>The job was not paused: nothing changed.</summary>
    NotPaused = 1,
    /// <summary>The job was paused and is now resumed.</summary>
    Resumed = 2,
    /// <summary>
    /// The job is paused but its schedule revision is no longer the one expected (a new definition was seeded since
    /// the caller read it): nothing changed; read the row again and compute the due time from its new schedule.
    /// </summary>
    RevisionChanged = 3,
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

/// <summary>A page request for <see cref="IJobStore.QueryHistoryAsync"/>.</summary>
/// <param name="Limit">Most rows returned (1–1000).</param>
/// <param name="BeforeId">Only rows with an id below this (the last id of the previous page); null: from the newest.</param>
/// <param name="Status">Only rows with this status; null: any.</param>
public sealed record HistoryQuery(int Limit = 50, long? BeforeId = null, RunStatus? Status = null)
{
    /// <summary>The largest page a store returns.</summary>
    public const int MaxLimit = 1000;

    /// <summary>Throws a clear error for an out-of-range limit.</summary>
    public void Validate()
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
