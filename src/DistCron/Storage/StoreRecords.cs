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
internal sealed record SeedJob(string Name, string Schedule, string TimeZone, string DefinitionHash, DateTimeOffset? NextDueAt, long? DefinitionVersion = null)
{
    /// <summary>
    /// The schedule's first occurrence strictly after a time (null: never again). When set, the store computes a new
    /// or changed row's due time with it inside the seed's write transaction, after the existing rows are locked:
    /// the first occurrence after the database time read under those locks, or after the occurrence a node is running
    /// (a claimed row) when that is later. A due time computed before the write (a node's start-up clock read) can
    /// name an occurrence the old definition ran or is running meanwhile: it would run twice.
    /// </summary>
    public Func<DateTimeOffset, DateTimeOffset?>? FirstDueAfter { get; init; }

    /// <summary>Disabled by the deployment's configuration: written with no due time and never claimed, not even when triggered.</summary>
    public bool Disabled { get; init; }

    /// <summary>
    /// The definition hash the code declares, before configuration overrides (null: not known, e.g. a tool's seed).
    /// Nodes of one <see cref="DefinitionVersion"/> with the same code hash but another definition hash differ only by
    /// configuration: the seed leaves the row to the one that wrote it instead of flipping it.
    /// </summary>
    public string? CodeHash { get; init; }

    /// <summary>
    /// Where the job is declared and its options (null: not known, e.g. a tool's seed). Written with the definition,
    /// under the same rules: a seed that may not write the row's definition does not write these either.
    /// </summary>
    public JobDefinitionInfo? Facts { get; init; }

    /// <summary>The options object stored for <see cref="Facts"/> (null when they are not known).</summary>
    internal string? FactsOptions => Facts is null ? null : DefinitionFacts.Options(Facts, DefinitionHash);

    /// <summary>
    /// The due time this seed writes to a new or changed row, given the database time read under the row's lock and
    /// the occurrence in flight on that row (null: not claimed).
    /// </summary>
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
internal sealed record NodeInfo(string App, string NodeId, string Host, int ProcessId, IReadOnlyList<string> JobNames)
{
    /// <summary>The DistCron library version (null: not reported, e.g. a tool's registration).</summary>
    public string? LibraryVersion { get; init; }

    /// <summary>The node's <see cref="DistCronOptions.DeploymentVersion"/> (null: not set).</summary>
    public long? DeploymentVersion { get; init; }

    /// <summary>The node's .NET runtime description (null: not reported).</summary>
    public string? Runtime { get; init; }
}

/// <summary>Identifies one claim: every fenced write carries it.</summary>
/// <param name="App">Application name.</param>
/// <param name="JobName">Job name.</param>
/// <param name="NodeId">The claiming node.</param>
/// <param name="Fence">The fencing token set by the claim.</param>
internal readonly record struct ClaimToken(string App, string JobName, string NodeId, long Fence);

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
internal sealed record ClaimedJob(
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
/// <param name="MaxJobs">At most this many rows.</param>
/// <param name="Lease">Each claimed row's lease: lease_until = now() + lease.</param>
internal sealed record ClaimRequest(string App, string NodeId, int MaxJobs, TimeSpan Lease)
{
    /// <summary>
    /// Jobs never claimed by this request: those the node is still running, and those it has no code for. Every other
    /// job of the app may be claimed. The claim names the few jobs it must not take rather than every job it can run:
    /// a list of all names cost the database planning and a lookup per name on every claim.
    /// </summary>
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
internal sealed record ClaimCursor(DateTimeOffset DueAt, string JobName);

/// <summary>The result of one claim round.</summary>
/// <param name="Claimed">Jobs claimed by this node.</param>
/// <param name="DatabaseNow">The database time as late in the claim as the store can read it (the node's clock estimate is
/// anchored on it); never later than the moment the result was sent.</param>
/// <param name="EarliestDueAt">Earliest due time of this node's jobs not claimed now (null: none scheduled). When the batch is full
/// (as many rows as requested) a store may report <paramref name="DatabaseNow"/> instead of computing it: more may be due now.</param>
/// <param name="RegistrationNeeded">See <see cref="ClaimRequest.NodeLiveWindow"/>; always false when it was not set.</param>
internal sealed record ClaimBatch(IReadOnlyList<ClaimedJob> Claimed, DateTimeOffset DatabaseNow, DateTimeOffset? EarliestDueAt, bool RegistrationNeeded = false)
{
    /// <summary>
    /// True when a timed pause of the app is over (its <c>pause_until</c> passed by the database clock): the node ends
    /// it (PauseExpiry). Carried by the claim so that an idle node sends no statement of its own to find out.
    /// </summary>
    public bool PausesEnded { get; init; }

    /// <summary>
    /// Where the next claim may resume (<see cref="ClaimRequest.After"/>): the last row claimed by schedule, in claim
    /// order. Every row before it that this claim did not take was held by a lease or by another claim at that moment.
    /// Null when nothing was claimed by schedule, or when the store does not use positions.
    /// </summary>
    public ClaimCursor? Resume { get; init; }
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
internal sealed record Completion(
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

/// <summary>What <see cref="IJobStore.ResumeAsync"/> did.</summary>
internal enum ResumeOutcome
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


/// <summary>
/// Who asks for an operator action and why: written to the audit row in the same transaction as the action.
/// </summary>
internal sealed record OperatorAction(string Actor, string? Reason)
{
    /// <summary>The longest actor name stored (a user name, an e-mail, a node id).</summary>
    public const int MaxActorLength = 256;

    /// <summary>The longest reason stored.</summary>
    public const int MaxReasonLength = 2000;

    /// <summary>Tools and tests that act without a user (and code written before actions carried one).</summary>
    public static OperatorAction Unattributed { get; } = new("unattributed", null);

    /// <summary>
    /// A resume that applies only when the job's timed pause has ended (<c>pause_until &lt;= now()</c>, database clock):
    /// the node's resume of an expired pause, which must not undo a pause someone extended meanwhile.
    /// </summary>
    public bool OnlyExpiredPause { get; init; }

    /// <summary>Throws a clear error for an empty or oversized actor or reason.</summary>
    public void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(Actor, nameof(Actor));
        if (Actor.Length > MaxActorLength) throw new ArgumentException($"The actor name is longer than {MaxActorLength} characters.", nameof(Actor));
        if (Reason is { Length: > MaxReasonLength }) throw new ArgumentException($"The reason is longer than {MaxReasonLength} characters.", nameof(Reason));
    }
}
