using DistCron.Scheduling;
using DistCron.Storage;
using DistCron.Storage.Postgres;
using DistCron.Storage.Sqlite;
using Npgsql;

namespace DistCron;

/// <summary>
/// The <see cref="IDistCronClient"/> over an <see cref="IJobStore"/>. Thin: the store does the work in single
/// statements; this class adds "unknown job" errors and computes resume times with the runtime's schedule rules.
/// </summary>
public sealed class DistCronClient : IDistCronClient, IAsyncDisposable
{
    // A resume that keeps losing to seeds of new definitions (see ResumeAsync) gives up after this many reads.
    private const int MaxResumeAttempts = 5;

    private readonly IJobStore _store;
    private readonly IAsyncDisposable? _owned;
    private TimeSpan _nodeLiveWindow = DefaultNodeLiveWindow;

    /// <summary>A client over a store the caller owns (it is not disposed by the client).</summary>
    internal DistCronClient(IJobStore store, string app = "default") : this(store, app, ownsStore: null)
    {
    }

    internal DistCronClient(IJobStore store, string app, IAsyncDisposable? ownsStore)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
        App = SqlNames.ValidateApp(app);
        _owned = ownsStore;
    }

    /// <summary>
    /// A client over PostgreSQL without a host. It owns its connection pool: dispose it. The connection string never
    /// appears in messages. The pool is built with <c>No Reset On Close=true</c> unless the string sets that key (DistCron
    /// leaves no session state to reset).
    /// </summary>
    public static DistCronClient ForPostgres(string connectionString, string schema = "distcron", string app = "default")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        SqlNames.ValidateSchema(schema);
        SqlNames.ValidateApp(app);
        NpgsqlDataSource dataSource;
        try
        {
            dataSource = PostgresDataSources.Create(connectionString);
        }
        catch (ArgumentException)
        {
            // Npgsql's message can quote the offending fragment of the connection string: never pass it on.
            throw new ArgumentException("The PostgreSQL connection string is not valid (its text is not shown because it may contain a password).", nameof(connectionString));
        }

        var store = new PostgresJobStore(dataSource, schema);
        return new DistCronClient(store, app, new Owned(store, dataSource));
    }

    /// <summary>A client over a SQLite file without a host (the file must already hold DistCron's tables). Dispose it.</summary>
    public static DistCronClient ForSqlite(string path, string app = "default")
    {
        var store = new SqliteJobStore(path);
        return new DistCronClient(store, app, store);
    }

    /// <summary>The DDL of a store kind ("postgres" or "sqlite"), for DBAs who apply it by hand.</summary>
    public static string GetSchemaSql(string storeKind, string schema = "distcron") => storeKind switch
    {
        "postgres" => PostgresJobStore.GetSchemaSql(schema),
        "sqlite" => SqliteJobStore.GetSchemaSql(),
        _ => throw new ArgumentException($"Unknown store kind '{storeKind}': use 'postgres' or 'sqlite'.", nameof(storeKind)),
    };

    /// <summary>
    /// The next <paramref name="count"/> occurrences of <paramref name="job"/>'s schedule strictly after
    /// <paramref name="after"/>, by the rules the nodes use, each with the offset the job's time zone has at that instant
    /// (a daylight-saving change shows as a change of offset). Fewer when the schedule ends. Throws
    /// <see cref="ArgumentException"/> with the reason when the row's schedule or time zone does not resolve (the job is
    /// then errored and never runs).
    /// </summary>
    public static IReadOnlyList<DateTimeOffset> GetNextOccurrences(JobRow job, DateTimeOffset after, int count)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, HistoryQuery.MaxLimit);
        var resolved = ScheduleResolver.Resolve(job.Schedule, job.TimeZone, job.Name);
        if (!resolved.Success) throw new ArgumentException($"DistCron job '{job.Name}' cannot be scheduled: {resolved.Error}.", nameof(job));

        var schedule = resolved.Schedule!;
        var occurrences = new List<DateTimeOffset>(count);
        for (var at = schedule.NextAfter(after); at is { } next && occurrences.Count < count; at = schedule.NextAfter(next))
        {
            occurrences.Add(TimeZoneInfo.ConvertTime(next, schedule.TimeZone));
        }

        return occurrences;
    }

    /// <inheritdoc />
    public string App { get; }

    /// <summary>The store's change watch (PostgreSQL's LISTEN connection and change token), for the dashboard; null when the store has none.</summary>
    internal IStoreChangeWatch? ChangeWatch => _store as IStoreChangeWatch;

    /// <inheritdoc />
    public Task<IReadOnlyList<JobRow>> ListJobsAsync(CancellationToken cancellationToken = default) =>
        _store.ListJobsAsync(App, cancellationToken);

    /// <inheritdoc />
    public Task<JobListPage> GetJobPageAsync(JobPageQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
        return _store.QueryJobsAsync(App, query, cancellationToken);
    }

    /// <inheritdoc />
    public Task<JobCounts> GetJobCountsAsync(TimeSpan? overdueAfter = null, string? search = null, CancellationToken cancellationToken = default)
    {
        var grace = overdueAfter ?? new JobPageQuery().OverdueAfter;
        ArgumentOutOfRangeException.ThrowIfLessThan(grace, TimeSpan.Zero, nameof(overdueAfter));
        return _store.CountJobsAsync(App, grace, search, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<JobRow> GetJobAsync(string jobName, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(jobName);
        return await _store.GetJobAsync(App, jobName, cancellationToken).ConfigureAwait(false)
            ?? throw new DistCronJobNotFoundException(App, jobName);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<RunRecord>> GetHistoryAsync(string? jobName, HistoryQuery? query = null, CancellationToken cancellationToken = default)
    {
        query ??= new HistoryQuery();
        query.Validate();
        var runs = await _store.QueryHistoryAsync(App, jobName, query, cancellationToken).ConfigureAwait(false);
        // An empty page of an unknown job is a typo, not "no runs yet": say so.
        if (runs.Count == 0 && jobName is not null) await GetJobAsync(jobName, cancellationToken).ConfigureAwait(false);
        return runs;
    }

    /// <inheritdoc />
    public Task<RunActivity> GetRunActivityAsync(CancellationToken cancellationToken = default) =>
        _store.GetRunActivityAsync(App, RunActivity.DefaultBucketWidth, RunActivity.DefaultBucketCount, cancellationToken);

    /// <inheritdoc />
    public async Task<DurationStats> GetDurationStatsAsync(string jobName, int runs = DurationStats.DefaultWindow, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(jobName);
        ArgumentOutOfRangeException.ThrowIfLessThan(runs, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(runs, HistoryQuery.MaxLimit);
        var recent = await _store.GetRecentRunsAsync(App, jobName, runs, cancellationToken).ConfigureAwait(false);
        // No runs of an unknown job is a typo, not "never ran": say so.
        if (recent.Count == 0) await GetJobAsync(jobName, cancellationToken).ConfigureAwait(false);
        return new DurationStats(runs, recent);
    }

    /// <inheritdoc />
    public Task TriggerAsync(string jobName, CancellationToken cancellationToken = default) =>
        TriggerAsync(jobName, null, null, cancellationToken);

    /// <inheritdoc />
    public async Task TriggerAsync(string jobName, string? reason, string? actor = null, CancellationToken cancellationToken = default)
    {
        var action = Action(actor, reason);
        var job = await GetJobAsync(jobName, cancellationToken).ConfigureAwait(false);
        if (job.Error is not null)
        {
            throw new InvalidOperationException(
                $"DistCron job '{jobName}' is errored and is never run, not even when triggered: {job.Error}. Fix its definition and redeploy; the new definition clears the error.");
        }

        if (job.Disabled)
        {
            throw new InvalidOperationException(
                $"DistCron job '{jobName}' is disabled by its deployment's configuration (DistCron:Jobs:{jobName}:Enabled = false) and is never run, not even when triggered. Enable it in configuration and redeploy.");
        }

        if (!await _store.TriggerAsync(App, jobName, action, cancellationToken).ConfigureAwait(false)) throw new DistCronJobNotFoundException(App, jobName);
    }

    /// <inheritdoc />
    public Task PauseAsync(string jobName, CancellationToken cancellationToken = default) =>
        PauseAsync(jobName, null, null, null, cancellationToken);

    /// <inheritdoc />
    public async Task PauseAsync(string jobName, string? reason, DateTimeOffset? until = null, string? actor = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(jobName);
        var action = Action(actor, reason);
        if (until is { } end)
        {
            // Checked by the database clock, the one the nodes compare the end with: a past end would resume at once.
            var now = await _store.GetDatabaseTimeAsync(cancellationToken).ConfigureAwait(false);
            if (end <= now)
            {
                throw new ArgumentException(
                    $"The pause of DistCron job '{jobName}' would end at {end:O}, which has already passed (database time {now:O}). Give a later time, or pause without an end.", nameof(until));
            }
        }

        if (!await _store.PauseAsync(App, jobName, action, until, cancellationToken).ConfigureAwait(false)) throw new DistCronJobNotFoundException(App, jobName);
    }

    /// <inheritdoc />
    public Task<DateTimeOffset?> ResumeAsync(string jobName, CancellationToken cancellationToken = default) =>
        ResumeAsync(jobName, null, null, cancellationToken);

    /// <inheritdoc />
    public Task<DateTimeOffset?> ResumeAsync(string jobName, string? reason, string? actor = null, CancellationToken cancellationToken = default) =>
        ResumeAsync(jobName, Action(actor, reason), cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<AuditRecord>> ListAuditAsync(AuditQuery? query = null, CancellationToken cancellationToken = default)
    {
        query ??= new AuditQuery();
        query.Validate();
        return _store.QueryAuditAsync(App, query, cancellationToken);
    }

    /// <summary>
    /// Resumes the job when its timed pause has ended (database clock), as <paramref name="nodeId"/>: the nodes' check
    /// of <see cref="IJobStore.ListExpiredPausesAsync"/>. A pause extended or resumed meanwhile is left alone.
    /// </summary>
    internal Task<DateTimeOffset?> ResumeExpiredPauseAsync(string jobName, string nodeId, CancellationToken cancellationToken) =>
        ResumeAsync(jobName, new OperatorAction("distcron-node:" + nodeId, "timed pause ended") { OnlyExpiredPause = true }, cancellationToken);

    // The actor defaults to the process's OS user: what the CLI records, and honest for code that names no one.
    private static OperatorAction Action(string? actor, string? reason)
    {
        var action = new OperatorAction(string.IsNullOrWhiteSpace(actor) ? Environment.UserName : actor, string.IsNullOrWhiteSpace(reason) ? null : reason);
        action.Validate();
        return action;
    }

    private async Task<DateTimeOffset?> ResumeAsync(string jobName, OperatorAction action, CancellationToken cancellationToken)
    {
        // The due time is computed from the row as read, and written only while the row's schedule revision is still
        // the one read: a seed of a new definition in between makes the write miss, and the loop computes again from
        // the new schedule. (Written unconditionally, it put the old schedule's due time on the new definition.) A
        // seed changes a row once per deploy, so a second miss in a row means a deploy storm: give up with a message.
        for (var attempt = 1; ; attempt++)
        {
            var job = await GetJobAsync(jobName, cancellationToken).ConfigureAwait(false);
            if (!job.Paused || (action.OnlyExpiredPause && job.PauseUntil is null)) return job.NextDueAt;

            // The same rules as a node's seed: the first occurrence strictly after the database's now. A row whose
            // schedule does not resolve keeps its due time; the engine marks it errored when it claims it.
            var resolved = ScheduleResolver.Resolve(job.Schedule, job.TimeZone, job.Name);
            DateTimeOffset? next = null;
            if (resolved.Success)
            {
                var now = await _store.GetDatabaseTimeAsync(cancellationToken).ConfigureAwait(false);
                next = RunRules.FirstDue(resolved.Schedule!, now).DueAt;
            }

            switch (await _store.ResumeAsync(App, jobName, next, job.ScheduleRevision, action, cancellationToken).ConfigureAwait(false))
            {
                case ResumeOutcome.NotFound: throw new DistCronJobNotFoundException(App, jobName);
                case ResumeOutcome.Resumed: return next ?? job.NextDueAt;
                case ResumeOutcome.NotPaused when action.OnlyExpiredPause: return job.NextDueAt; // not ended yet, or extended
                case ResumeOutcome.RevisionChanged when attempt >= MaxResumeAttempts:
                    throw new InvalidOperationException(
                        $"DistCron job '{jobName}' was not resumed: its definition changed {attempt} times while the resume was computed " +
                        "(a deployment in progress). It is still paused; resume it again once the deployment has settled.");
                default: continue; // NotPaused (resumed by someone else meanwhile) or RevisionChanged: read the row again
            }
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<NodeRow>> ListNodesAsync(CancellationToken cancellationToken = default) =>
        _store.ListNodesAsync(App, cancellationToken);

    /// <inheritdoc />
    public Task<DateTimeOffset> GetDatabaseTimeAsync(CancellationToken cancellationToken = default) =>
        _store.GetDatabaseTimeAsync(cancellationToken);

    /// <summary>
    /// How recent a node's heartbeat must be for <see cref="RemoveJobAsync"/> to count it as live: three lease durations,
    /// the window nodes use for orphan flags. The default fits the default <see cref="DistCronOptions.LeaseDuration"/>; a
    /// client registered by <c>AddDistCron</c> uses the app's own. Set it to three times the app's lease when that is
    /// longer, or a live node with code for the job may be missed.
    /// </summary>
    public TimeSpan NodeLiveWindow
    {
        get => _nodeLiveWindow;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(value, TimeSpan.Zero);
            _nodeLiveWindow = value;
        }
    }

    /// <summary>The default <see cref="NodeLiveWindow"/>: three default lease durations.</summary>
    public static TimeSpan DefaultNodeLiveWindow { get; } = new DistCronOptions().LeaseDuration * 3;

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> ListAppsAsync(CancellationToken cancellationToken = default) =>
        _store.ListAppsAsync(cancellationToken);

    /// <inheritdoc />
    public async Task<long> RemoveJobAsync(string jobName, bool deleteHistory = false, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(jobName);
        var removal = await _store.RemoveJobAsync(App, jobName, NodeLiveWindow, deleteHistory, cancellationToken).ConfigureAwait(false);
        return removal.Outcome switch
        {
            JobRemovalOutcome.Removed => removal.RunsDeleted,
            JobRemovalOutcome.NotFound => throw new DistCronJobNotFoundException(App, jobName),
            JobRemovalOutcome.LiveNodeHasCode => throw new InvalidOperationException(
                $"DistCron job '{jobName}' was not removed: live node(s) {string.Join(", ", removal.Nodes)} have code for it and would " +
                "seed it again. Deploy the code without the job first; remove it once no live node lists it ('distcron nodes')."),
            JobRemovalOutcome.Claimed => throw new InvalidOperationException(
                $"DistCron job '{jobName}' was not removed: node {removal.Nodes[0]} is running it (its lease is live). Try again when the run has finished."),
            _ => throw new InvalidOperationException($"Unexpected removal outcome {removal.Outcome}."),
        };
    }

    /// <summary>Disposes the store and connection pool this client created (none when built over a caller's store).</summary>
    public ValueTask DisposeAsync() => _owned?.DisposeAsync() ?? ValueTask.CompletedTask;

    private sealed class Owned(IAsyncDisposable store, IAsyncDisposable dataSource) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await store.DisposeAsync().ConfigureAwait(false);
            await dataSource.DisposeAsync().ConfigureAwait(false);
        }
    }
}
