namespace DistCron.Storage;

/// <summary>
/// The contract every store implements (PostgreSQL, SQLite), verified by one conformance suite run against each.
/// Every time decision is made with the database's clock inside the statement (<c>now()</c>), never the caller's.
/// Every write that acts on a claim is fenced: it applies only while <c>owner_node</c> and <c>fence</c> still match.
/// A row's <c>updated_at</c> moves with every write that changes its definition, schedule state, flags or outcome, and
/// not with the lease traffic (claim, heartbeat, release), which leaves the row as an operator last saw it.
/// Argument checks and the pruning sequence are <see cref="StoreRules"/>; error text is <see cref="ErrorText"/>.
/// </summary>
/// <remarks>
/// Stores are thin: one file of SQL per dialect. Scheduling rules (next occurrence, misfire, retry) live in
/// <c>DistCron.Scheduling</c> and reach the store as plain values.
/// </remarks>
internal interface IJobStore : IAsyncDisposable
{
    /// <summary>A short name for logs and metrics: "postgres" or "sqlite". Never contains connection details.</summary>
    string Kind { get; }

    /// <summary>Creates or upgrades the schema. Idempotent and safe when many nodes call it at once.</summary>
    Task MigrateAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Checks, changing nothing, that the schema is at the version this code needs or newer (start-up with
    /// <c>AutoMigrate = false</c>). Throws <see cref="SchemaNotReadyException"/> naming the version found, the version
    /// needed and what to apply when the schema is missing or older.
    /// </summary>
    Task CheckSchemaAsync(CancellationToken cancellationToken);

    /// <summary>The database's current time.</summary>
    Task<DateTimeOffset> GetDatabaseTimeAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Upserts the seed rows in one batch. A new row gets <see cref="SeedJob.NextDueAt"/>; an existing row whose
    /// definition hash differs gets the new schedule and due time (its history is kept); an existing row with the
    /// same hash is left untouched, so a restart never resets or delays its next due time. A row that was orphaned
    /// and is seeded again stops being orphaned. Concurrent calls from many nodes never fail or duplicate rows.
    /// </summary>
    Task SeedAsync(string app, IReadOnlyList<SeedJob> jobs, CancellationToken cancellationToken);

    /// <summary>
    /// Records this node as alive (insert or refresh its heartbeat) with the job names it has code for, and marks
    /// jobs orphaned when no live node (heartbeat within <paramref name="liveWindow"/>) has code for them, or
    /// not orphaned when one has. Never deletes jobs or history.
    /// </summary>
    Task RegisterNodeAsync(NodeInfo node, TimeSpan liveWindow, CancellationToken cancellationToken);

    /// <summary>Removes this node's row at graceful shutdown.</summary>
    Task UnregisterNodeAsync(string app, string nodeId, CancellationToken cancellationToken);

    /// <summary>
    /// Claims up to <see cref="ClaimRequest.MaxJobs"/> due jobs in one conditional write: only this app's jobs, none
    /// in <see cref="ClaimRequest.ExcludedNames"/>, not paused, not errored, <c>next_due_at &lt;= now()</c>, and no
    /// live lease. Each claimed row gets owner = the node, fence = fence + 1, lease_until = now() + lease. Rows another
    /// node claims concurrently are skipped, never waited on. Also returns the database time and the earliest due time
    /// among this node's unclaimed jobs, and (with <see cref="ClaimRequest.NodeLiveWindow"/>) keeps the node's
    /// registration alive, so an idle poll costs one statement.
    /// </summary>
    Task<ClaimBatch> ClaimDueAsync(ClaimRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// Verifies a batch of claims in one round trip: returns the claims that are still ours (owner and fence match and
    /// the lease is live, by database time), in no particular order. A claim missing from the result must not run.
    /// </summary>
    Task<IReadOnlyList<ClaimToken>> VerifyAsync(IReadOnlyList<ClaimToken> claims, CancellationToken cancellationToken);

    /// <summary>
    /// Extends the lease to now() + <paramref name="lease"/> when owner and fence still match. False means another node
    /// took the job (or it was released): the caller must cancel the run and never complete it.
    /// </summary>
    Task<bool> HeartbeatAsync(ClaimToken claim, TimeSpan lease, CancellationToken cancellationToken);

    /// <summary>
    /// Fenced completions, one round trip for the whole list: for each, when owner and fence still match, clears the
    /// lease, records the outcome on the job row, sets the next due time/occurrence/attempt, and appends one history
    /// row. Returns, in the order given, true when recorded and false (nothing written) when that claim was lost. The
    /// list is all or nothing: when the call throws, none was recorded and each may simply be retried (they are fenced).
    /// </summary>
    Task<IReadOnlyList<bool>> CompleteAsync(IReadOnlyList<Completion> completions, CancellationToken cancellationToken);

    /// <summary>Gives a claim back unrun (shutdown before start): clears owner and lease when the fence matches, leaving the due time as is.</summary>
    Task<bool> ReleaseAsync(ClaimToken claim, CancellationToken cancellationToken);

    /// <summary>
    /// Marks a job errored (bad schedule or time zone in its row) with a reason; it is no longer claimed until re-seeded
    /// with a valid definition. Fenced like every write on a claim. When <paramref name="scheduleRevision"/> is given and
    /// the row's revision differs (a new definition was seeded after the claim read the bad one), the row is not marked:
    /// the claim is only released, so the new definition is claimed at its own due time. Signals the change.
    /// </summary>
    Task MarkErroredAsync(ClaimToken claim, string reason, long? scheduleRevision, CancellationToken cancellationToken);

    /// <summary>Lists this app's jobs (for clients, tests and tools).</summary>
    Task<IReadOnlyList<JobRow>> ListJobsAsync(string app, CancellationToken cancellationToken);

    /// <summary>One job of this app by its exact name (ordinal), or null.</summary>
    Task<JobRow?> GetJobAsync(string app, string jobName, CancellationToken cancellationToken);

    /// <summary>
    /// One page of this app's jobs: searched by name, filtered by state, sorted, keyset-paged (see <see cref="JobPageQuery"/>).
    /// States that depend on time are decided with the database's now.
    /// </summary>
    Task<JobListPage> QueryJobsAsync(string app, JobPageQuery query, CancellationToken cancellationToken);

    /// <summary>
    /// How many of this app's jobs are in each state, in one statement (overdue: due more than <paramref name="overdueAfter"/>
    /// ago); with <paramref name="search"/>, only jobs whose name contains it, as <see cref="JobPageQuery.Search"/>.
    /// </summary>
    Task<JobCounts> CountJobsAsync(string app, TimeSpan overdueAfter, string? search, CancellationToken cancellationToken);

    /// <summary>
    /// Pauses a job: a paused job is never claimed for its schedule (a manual trigger still runs it once). A run in
    /// progress is not interrupted. Pausing a paused job replaces its reason and end. With <paramref name="until"/>, the
    /// pause ends by itself: <see cref="ListExpiredPausesAsync"/> finds it once <c>until &lt;= now()</c> and a node resumes
    /// it like an operator would. Writes one audit row in the same transaction. Signals the change. Returns false (nothing
    /// written) when the job does not exist.
    /// </summary>
    Task<bool> PauseAsync(string app, string jobName, OperatorAction action, DateTimeOffset? until, CancellationToken cancellationToken);

    /// <summary>
    /// Resumes a paused job and clears its pause reason and end. When <paramref name="nextDueAt"/> is given (the caller
    /// computes the next occurrence after the database's now, from the schedule of the row it read), the job's due time,
    /// occurrence and attempt restart there and its schedule revision is raised, so a run in flight completes without
    /// overwriting them; when null, the stored due time is kept (if it passed while paused, the row is claimed at once and
    /// follows its misfire policy). When <paramref name="expectedRevision"/> is given, the resume applies only while the
    /// row's <see cref="JobRow.ScheduleRevision"/> still equals it (<see cref="ResumeOutcome.RevisionChanged"/> otherwise: a
    /// new definition was seeded since the row was read, and the due time must be computed again). With
    /// <see cref="OperatorAction.OnlyExpiredPause"/>, a job whose pause has no end or has not ended is
    /// <see cref="ResumeOutcome.NotPaused"/>. A job that is not paused is left untouched. A resume writes one audit row in
    /// the same transaction. Signals the change.
    /// </summary>
    Task<ResumeOutcome> ResumeAsync(string app, string jobName, DateTimeOffset? nextDueAt, long? expectedRevision, OperatorAction action, CancellationToken cancellationToken);

    /// <summary>
    /// Requests one extra run now ("trigger now"): sets <c>trigger_requested_at = now()</c> unless a request is already
    /// pending (two triggers before a run give one run). A pending request makes the row claimable even when paused;
    /// the claim reports <see cref="ClaimedJob.IsManualTrigger"/> unless the row was also due by its schedule. Any run
    /// claimed after the request satisfies it: its completion clears the request. A manual completion leaves the due
    /// time, occurrence and attempt unchanged. Errored rows are not claimed. Writes one audit row in the same
    /// transaction. Signals the change. Returns false when the job does not exist.
    /// </summary>
    Task<bool> TriggerAsync(string app, string jobName, OperatorAction action, CancellationToken cancellationToken);

    /// <summary>The app's audit rows newest first, keyset-paged by id (pass the last id of a page as the next BeforeId).</summary>
    Task<IReadOnlyList<AuditRecord>> QueryAuditAsync(string app, AuditQuery query, CancellationToken cancellationToken);

    /// <summary>
    /// The names of the app's paused jobs whose timed pause has ended (<c>pause_until &lt;= now()</c>), through an index
    /// that holds only timed pauses: a node's periodic check reads nothing while none is due.
    /// </summary>
    Task<IReadOnlyList<string>> ListExpiredPausesAsync(string app, CancellationToken cancellationToken);

    /// <summary>
    /// History newest first, keyset-paged by id: of one job, or of every job of the app when <paramref name="jobName"/>
    /// is null; filtered by <see cref="HistoryQuery"/>. Pass the last id of a page as the next query's BeforeId.
    /// </summary>
    Task<IReadOnlyList<RunRecord>> QueryHistoryAsync(string app, string? jobName, HistoryQuery query, CancellationToken cancellationToken);

    /// <summary>
    /// How many of the app's runs finished in each of the last <paramref name="bucketCount"/> slices of
    /// <paramref name="bucketWidth"/>, by the database clock, in one statement over the <c>runs (app, finished_at)</c>
    /// index (it reads only the window's rows). Bucket i holds the runs finished in (now − window + i × width,
    /// now − window + (i + 1) × width]; skipped occurrences are not runs; failures are failed and timed-out runs.
    /// </summary>
    Task<RunActivity> GetRunActivityAsync(string app, TimeSpan bucketWidth, int bucketCount, CancellationToken cancellationToken);

    /// <summary>
    /// The job's last <paramref name="count"/> runs that ran (skipped occurrences excluded), newest first, in one statement
    /// over the <c>runs (app, job_name, id DESC)</c> index: it reads those rows and the skipped ones between them, never
    /// the job's whole history.
    /// </summary>
    Task<IReadOnlyList<RecentRun>> GetRecentRunsAsync(string app, string jobName, int count, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes history rows finished longer than <paramref name="maxAge"/> ago (database time) and, per job, all but the
    /// newest <paramref name="keepPerJob"/> rows; null disables that rule. Deletes in batches of at most
    /// <paramref name="batchSize"/> rows, each its own short statement/transaction, so running jobs never wait long.
    /// Returns the number of rows deleted. Never touches jobs.
    /// </summary>
    Task<int> PruneHistoryAsync(string app, TimeSpan? maxAge, int? keepPerJob, int batchSize, CancellationToken cancellationToken);

    /// <summary>This app's registered nodes (live or silent), newest heartbeat first.</summary>
    Task<IReadOnlyList<NodeRow>> ListNodesAsync(string app, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes a job row that no code runs any more (a deleted or renamed job stays orphaned forever otherwise), and with
    /// <paramref name="deleteHistory"/> its history, in one transaction. Refused, changing nothing, while a node whose
    /// heartbeat is within <paramref name="liveWindow"/> registered code for the job, or while a node holds a live lease on
    /// it. A node that starts later with code for the job seeds it again as a new job; one that seeded it just before the
    /// removal and registered just after it (a deploy racing the removal) runs it only from its next start.
    /// </summary>
    Task<JobRemoval> RemoveJobAsync(string app, string jobName, TimeSpan liveWindow, bool deleteHistory, CancellationToken cancellationToken);

    /// <summary>The apps this database holds jobs or nodes for, in ordinal order (for "no such app" messages).</summary>
    Task<IReadOnlyList<string>> ListAppsAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Waits until the store signals a change (LISTEN/NOTIFY on PostgreSQL, an in-process signal on SQLite) or the
    /// timeout passes. Returns true when woken by a signal. Stores without signals just wait.
    /// </summary>
    Task<bool> WaitForSignalAsync(string app, TimeSpan timeout, CancellationToken cancellationToken);
}
