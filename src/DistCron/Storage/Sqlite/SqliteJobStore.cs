using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DistCron.Storage.Sqlite;

/// <summary>
/// The SQLite store: one database file shared by every process (node) on ONE machine.
/// </summary>
/// <remarks>
/// <para>
/// Coordination across processes comes from SQLite's own file locks: WAL journal mode (readers never block the
/// writer), a 30 s busy timeout, and <c>BEGIN IMMEDIATE</c> for every write transaction, so writers take the write
/// lock up front and queue on it instead of failing with <c>SQLITE_BUSY</c> when a read lock cannot be upgraded.
/// Inside that lock a claim is a conditional <c>UPDATE … RETURNING</c>, and every later write is fenced by
/// owner and fence, exactly as on PostgreSQL.
/// </para>
/// <para>
/// The "database clock" of SQLite is this machine's clock as read by SQLite (<c>julianday('now')</c>) inside each
/// statement. All nodes of a SQLite store share the file and therefore the machine, so they share that clock too.
/// Times are stored as INTEGER unix milliseconds UTC: exact ordering, no text-format ambiguity.
/// </para>
/// <para>
/// Microsoft.Data.Sqlite runs its "async" methods synchronously, so a write waiting for another process's lock holds
/// a thread for up to the busy timeout. Writes here are a few short statements, so such waits are brief.
/// <c>synchronous</c> stays at SQLite's default (FULL): a completed run is on disk before it is reported.
/// </para>
/// <para>
/// SQLite files on network shares (NFS, SMB) do not lock reliably; use PostgreSQL for more than one machine.
/// </para>
/// </remarks>
public sealed partial class SqliteJobStore : IJobStore
{
    /// <summary>The schema version this code writes; migrations are numbered and idempotent.</summary>
    private const int CurrentVersion = 3;

    /// <summary>Rows of nodes silent for this long are deleted: crashed nodes never unregister.</summary>
    private const long ForgetNodesAfterMs = 24 * 60 * 60 * 1000;

    /// <summary>Unix milliseconds of SQLite's clock. ROUND, not truncation: julianday is a double and may land a hair below the exact millisecond.</summary>
    private const string Now = "CAST(ROUND((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER)";

    private const string JobColumns =
        "name, schedule, time_zone, definition_hash, next_due_at, occurrence_at, attempt, owner_node, fence, lease_until, " +
        "paused, orphaned, error, last_status, last_error, last_node, last_finished_at, schedule_rev";

    private static readonly string SchemaSql = $"""
        CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);

        CREATE TABLE IF NOT EXISTS jobs (
            app TEXT NOT NULL,
            name TEXT NOT NULL,
            schedule TEXT NOT NULL,
            time_zone TEXT NOT NULL,
            definition_hash TEXT NOT NULL,
            next_due_at INTEGER NULL,          -- unix ms UTC: when the row becomes claimable; NULL = never
            occurrence_at INTEGER NULL,        -- the scheduled occurrence the due time belongs to
            attempt INTEGER NOT NULL DEFAULT 1,
            owner_node TEXT NULL,
            fence INTEGER NOT NULL DEFAULT 0,  -- fencing token: +1 per claim, never goes back
            lease_until INTEGER NULL,
            claimed_at INTEGER NULL,
            paused INTEGER NOT NULL DEFAULT 0,
            orphaned INTEGER NOT NULL DEFAULT 0,
            error TEXT NULL,                   -- set by MarkErrored: never claimed until re-seeded
            last_status INTEGER NULL,
            last_error TEXT NULL,
            last_node TEXT NULL,
            last_started_at INTEGER NULL,
            last_finished_at INTEGER NULL,
            last_duration_ms INTEGER NULL,
            trigger_requested_at INTEGER NULL, -- pending "trigger now" request (TriggerAsync)
            definition_version INTEGER NULL,   -- DeploymentVersion that wrote the definition (migration 2)
            schedule_rev INTEGER NOT NULL DEFAULT 0, -- raised when a seed or resume restarts the schedule state (migration 3)
            created_at INTEGER NOT NULL DEFAULT ({Now}),
            updated_at INTEGER NOT NULL DEFAULT ({Now}),
            PRIMARY KEY (app, name)
        );

        -- Keeps the due query cheap with thousands of jobs; its predicate matches the claim's literally.
        CREATE INDEX IF NOT EXISTS jobs_due ON jobs (app, next_due_at) WHERE paused = 0 AND error IS NULL;

        CREATE TABLE IF NOT EXISTS runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT, -- AUTOINCREMENT: ids never reused, so "newest first" is id order
            app TEXT NOT NULL,
            job_name TEXT NOT NULL,
            occurrence_at INTEGER NOT NULL,
            attempt INTEGER NOT NULL,
            node_id TEXT NOT NULL,
            fence INTEGER NOT NULL,
            status INTEGER NOT NULL,
            started_at INTEGER NULL,
            finished_at INTEGER NOT NULL DEFAULT ({Now}),
            duration_ms INTEGER NOT NULL,
            error_type TEXT NULL,
            error_message TEXT NULL,
            manual INTEGER NOT NULL DEFAULT 0
        );

        CREATE INDEX IF NOT EXISTS runs_by_job ON runs (app, job_name, id DESC);

        CREATE TABLE IF NOT EXISTS nodes (
            app TEXT NOT NULL,
            node_id TEXT NOT NULL,
            host TEXT NOT NULL,
            pid INTEGER NOT NULL,
            started_at INTEGER NOT NULL,
            heartbeat_at INTEGER NOT NULL,
            job_names TEXT NOT NULL,           -- JSON array of job names
            PRIMARY KEY (app, node_id)
        );
        """;

    // One async signal per (file, app), shared by every store instance in this process. Other processes are
    // noticed by polling: SQLite has no cross-process notification.
    private static readonly ConcurrentDictionary<(string File, string App), AppSignal> Signals = new();

    private readonly string _file;
    private readonly string _signalKey; // the file, case-folded where the file system ignores case
    private readonly string _connectionString;
    private readonly ILogger _logger;
    private int _checkedVersion;

    // Per registered node: the other live nodes its last registration saw (see OtherLiveNodesSql).
    private readonly ConcurrentDictionary<(string App, string Node), string> _seenNodes = new();

    /// <summary>Creates the store over one database file (created if missing; WAL mode).</summary>
    /// <param name="path">Path of the database file, e.g. <c>./.distcron/app.db</c>. Its folder is created if missing.</param>
    /// <param name="logger">Optional logger.</param>
    public SqliteJobStore(string path, ILogger? logger = null)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new ArgumentException("The SQLite database path is empty: pass a file path such as './.distcron/app.db'.", nameof(path));
        }

        if (path.Trim() == ":memory:" || path.Contains("mode=memory", StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException("An in-memory SQLite database cannot coordinate nodes: pass a file path such as './.distcron/app.db'.", nameof(path));
        }

        if (path.TrimStart().StartsWith("Data Source=", StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException("Pass the SQLite database FILE PATH, not a connection string (e.g. './.distcron/app.db').", nameof(path));
        }

        _file = Path.GetFullPath(path);
        _signalKey = OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? _file.ToUpperInvariant() : _file;
        var folder = Path.GetDirectoryName(_file);
        if (!string.IsNullOrEmpty(folder)) Directory.CreateDirectory(folder);

        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = _file,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30, // seconds: Microsoft.Data.Sqlite retries SQLITE_BUSY/LOCKED until then
        }.ToString();
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>The DDL that creates the schema, for DBAs who forbid DDL from applications.</summary>
    public static string GetSchemaSql() =>
        "PRAGMA journal_mode = WAL;\n" + SchemaSql +
        $"\nINSERT INTO schema_version (version) SELECT {CurrentVersion} WHERE NOT EXISTS (SELECT 1 FROM schema_version);\n";

    /// <inheritdoc />
    public string Kind => "sqlite";

    /// <inheritdoc />
    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        // WAL is a property of the file (persistent) and cannot be switched inside a transaction.
        var mode = (string?)await ScalarAsync(connection, null, "PRAGMA journal_mode = WAL;", cancellationToken).ConfigureAwait(false);
        if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
        {
            LogNoWal(_logger, mode ?? "(null)");
        }

        await using var transaction = await BeginImmediateAsync(connection, cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, transaction, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);", cancellationToken).ConfigureAwait(false);
        var found = await ScalarAsync(connection, transaction, "SELECT MAX(version) FROM schema_version;", cancellationToken).ConfigureAwait(false);
        var version = found is long v ? (int)v : 0;
        if (version > CurrentVersion)
        {
            // A newer DistCron migrated this file (rolling upgrade). Migrations are additive, so keep working.
            LogNewerSchema(_logger, version, CurrentVersion);
        }
        else if (version < CurrentVersion)
        {
            // Only what the file lacks: a new file gets the whole current schema (the columns included), a version-1
            // file migrations 2 and 3, a version-2 file migration 3. The write lock covers the whole file, so re-running
            // the rest would be harmless here, but the rule stays the same as PostgreSQL's (where it is not): applied
            // migrations never run again.
            if (version < 1)
            {
                await ExecuteAsync(connection, transaction, SchemaSql, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                if (version == 1)
                {
                    await ExecuteAsync(connection, transaction, "ALTER TABLE jobs ADD COLUMN definition_version INTEGER NULL;", cancellationToken).ConfigureAwait(false);
                }

                // Migration 3: the schedule revision a completion carries back (see CompleteOneAsync).
                await ExecuteAsync(connection, transaction, "ALTER TABLE jobs ADD COLUMN schedule_rev INTEGER NOT NULL DEFAULT 0;", cancellationToken).ConfigureAwait(false);
            }

            await ExecuteAsync(connection, transaction,
                "DELETE FROM schema_version; INSERT INTO schema_version (version) VALUES ($v);", cancellationToken,
                ("$v", CurrentVersion)).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<DateTimeOffset> GetDatabaseTimeAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        return FromMs((long)(await ScalarAsync(connection, null, $"SELECT {Now};", cancellationToken).ConfigureAwait(false))!);
    }

    /// <inheritdoc />
    public async Task SeedAsync(string app, IReadOnlyList<SeedJob> jobs, CancellationToken cancellationToken)
    {
        SqlNames.ValidateApp(app);
        ArgumentNullException.ThrowIfNull(jobs);
        if (jobs.Count == 0) return;

        // The whole batch travels as one JSON parameter: one statement, any batch size, no SQL built from values.
        var names = SqliteJson.Names(jobs.Select(j => j.Name));

        // "WHERE true" resolves SQLite's INSERT … SELECT … ON CONFLICT parsing ambiguity. An unchanged row (same
        // hash, not orphaned, not errored) is not touched, so restarts never reset or delay a due time. An orphaned row
        // with an unchanged definition only stops being orphaned: it keeps the occurrence and attempt it missed.
        var sql = $"""
            INSERT INTO jobs (app, name, schedule, time_zone, definition_hash, next_due_at, occurrence_at, definition_version)
            SELECT $app, value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 4, value ->> 5
            FROM json_each($batch) WHERE true
            ON CONFLICT (app, name) DO UPDATE SET
                schedule = excluded.schedule,
                time_zone = excluded.time_zone,
                definition_hash = excluded.definition_hash,
                next_due_at = CASE WHEN jobs.definition_hash IS NOT excluded.definition_hash OR jobs.error IS NOT NULL
                                   THEN excluded.next_due_at ELSE jobs.next_due_at END,
                occurrence_at = CASE WHEN jobs.definition_hash IS NOT excluded.definition_hash OR jobs.error IS NOT NULL
                                     THEN excluded.next_due_at ELSE jobs.occurrence_at END,
                attempt = CASE WHEN jobs.definition_hash IS NOT excluded.definition_hash OR jobs.error IS NOT NULL
                               THEN 1 ELSE jobs.attempt END,
                -- Whenever the seed restarts the schedule state, a run in flight completes without overwriting it.
                schedule_rev = jobs.schedule_rev + (jobs.definition_hash IS NOT excluded.definition_hash OR jobs.error IS NOT NULL),
                error = NULL,
                orphaned = 0,
                updated_at = {Now},
                definition_version = excluded.definition_version
            WHERE (jobs.definition_hash IS NOT excluded.definition_hash OR jobs.orphaned <> 0 OR jobs.error IS NOT NULL)
              -- Rolling deploys: a node of an older DeploymentVersion never overwrites a newer definition.
              AND NOT COALESCE(excluded.definition_version < jobs.definition_version, 0);
            """;
        await WriteAsync(async (connection, transaction) =>
        {
            // BEGIN IMMEDIATE made this the only writer: the clock and the rows read here cannot change before the
            // upsert, so a due time computed from them never names an occurrence that ran or is running meanwhile.
            var (now, inFlight) = await ReadSeedStateAsync(connection, transaction, app, names, cancellationToken).ConfigureAwait(false);
            var batch = SqliteJson.SeedBatch(jobs.Select(j => j with
            {
                NextDueAt = j.DueUnderLock(now, inFlight.TryGetValue(j.Name, out var running) ? running : null),
                FirstDueAfter = null,
            }));
            await ExecuteAsync(connection, transaction, sql, cancellationToken, ("$app", app), ("$batch", batch)).ConfigureAwait(false);
            return 0;
        }, cancellationToken).ConfigureAwait(false);
        Notify(app);
    }

    // The database time and, per seeded name, the occurrence a node is running: claimed rows, unless the claim was a
    // manual trigger (SeedJob.ScheduledClaimWindow).
    private static async Task<(DateTimeOffset Now, Dictionary<string, DateTimeOffset> InFlight)> ReadSeedStateAsync(
        SqliteConnection connection, SqliteTransaction transaction, string app, string names, CancellationToken cancellationToken)
    {
        var now = FromMs((long)(await ScalarAsync(connection, transaction, $"SELECT {Now};", cancellationToken).ConfigureAwait(false))!);
        var inFlight = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        await using var command = Command(connection, transaction, """
            SELECT name, occurrence_at FROM jobs
            WHERE app = $app AND owner_node IS NOT NULL AND occurrence_at IS NOT NULL AND next_due_at <= claimed_at + $window
              AND name IN (SELECT value FROM json_each($names));
            """, ("$app", app), ("$names", names), ("$window", ToMs(SeedJob.ScheduledClaimWindow)));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) inFlight[reader.GetString(0)] = FromMs(reader.GetInt64(1));
        return (now, inFlight);
    }

    /// <inheritdoc />
    public async Task RegisterNodeAsync(NodeInfo node, TimeSpan liveWindow, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(node);
        SqlNames.ValidateApp(node.App);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(liveWindow, TimeSpan.Zero);
        var names = SqliteJson.Names(node.JobNames);

        // The live names are a non-correlated subquery, which SQLite materialises once per statement.
        var liveNames = $"""
            SELECT j.value FROM nodes n, json_each(n.job_names) j
            WHERE n.app = $app AND n.heartbeat_at >= {Now} - $window
            """;
        var sql = $"""
            INSERT INTO nodes (app, node_id, host, pid, started_at, heartbeat_at, job_names)
            VALUES ($app, $node, $host, $pid, {Now}, {Now}, $names)
            ON CONFLICT (app, node_id) DO UPDATE SET
                host = excluded.host, pid = excluded.pid, heartbeat_at = excluded.heartbeat_at, job_names = excluded.job_names;

            DELETE FROM nodes WHERE app = $app AND heartbeat_at < {Now} - {ForgetNodesAfterMs};

            UPDATE jobs SET orphaned = 1, updated_at = {Now}
            WHERE app = $app AND orphaned = 0 AND name NOT IN ({liveNames});

            UPDATE jobs SET orphaned = 0, updated_at = {Now}
            WHERE app = $app AND orphaned <> 0 AND name IN ({liveNames});
            """;
        var fingerprint = await WriteAsync(async (connection, transaction) =>
        {
            (string, object?)[] parameters = [("$app", node.App), ("$node", node.NodeId), ("$host", node.Host), ("$pid", node.ProcessId),
                ("$names", names), ("$window", ToMs(liveWindow))];
            await ExecuteAsync(connection, transaction, sql, cancellationToken, parameters).ConfigureAwait(false);
            return (string)(await ScalarAsync(connection, transaction, OtherLiveNodesSql, cancellationToken, parameters).ConfigureAwait(false))!;
        }, cancellationToken).ConfigureAwait(false);
        _seenNodes[(node.App, node.NodeId)] = fingerprint; // only after the commit: a failed registration is redone
    }

    // The other live nodes of an app, as one text: a claim that keeps the registration alive compares it with what the
    // last registration saw, and asks for a full registration (orphan flags) when a node joined, left or fell silent.
    private static readonly string OtherLiveNodesSql = $"""
        SELECT $window || ':' || COALESCE((SELECT group_concat(node_id, ',') FROM (
            SELECT node_id FROM nodes WHERE app = $app AND node_id <> $node AND heartbeat_at >= {Now} - $window ORDER BY node_id)), '');
        """;

    /// <inheritdoc />
    public Task UnregisterNodeAsync(string app, string nodeId, CancellationToken cancellationToken)
    {
        SqlNames.ValidateApp(app);
        _seenNodes.TryRemove((app, nodeId), out _);
        return WriteAsync(async (connection, transaction) =>
        {
            await ExecuteAsync(connection, transaction, "DELETE FROM nodes WHERE app = $app AND node_id = $node;", cancellationToken,
                ("$app", app), ("$node", nodeId)).ConfigureAwait(false);
            return 0;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<ClaimBatch> ClaimDueAsync(ClaimRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (app, nodeId, jobNames, maxJobs, lease) = request;
        SqlNames.ValidateApp(app);
        ArgumentException.ThrowIfNullOrEmpty(nodeId);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxJobs, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lease, TimeSpan.Zero);
        if (request.NodeLiveWindow <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(request), request.NodeLiveWindow, "The live window must be positive.");
        ArgumentOutOfRangeException.ThrowIfLessThan(request.Ahead, TimeSpan.Zero);
        var names = jobNames is null ? null : SqliteJson.Names(jobNames);
        var skip = SqliteJson.Names(request.ExcludedNames ?? []);
        const string nameFilter = "($names IS NULL OR name IN (SELECT value FROM json_each($names))) AND name NOT IN (SELECT value FROM json_each($skip))";

        // Inside BEGIN IMMEDIATE no other writer (in any process) runs, so "select due rows, then update them" in
        // one UPDATE … WHERE rowid IN (…) is atomic: two nodes can never claim the same row.
        var claimSql = $"""
            UPDATE jobs SET owner_node = $node, fence = MIN(fence, 9223372036854775806) + 1, lease_until = {Now} + $lease,
                claimed_at = {Now}, updated_at = {Now}
            WHERE rowid IN (
                SELECT rowid FROM jobs
                WHERE app = $app AND {nameFilter}
                  AND error IS NULL
                  AND ((paused = 0 AND next_due_at <= {Now} + $ahead) OR trigger_requested_at <= {Now})
                  AND (lease_until IS NULL OR lease_until <= {Now})
                ORDER BY next_due_at, name
                LIMIT $max)
            RETURNING name, fence, occurrence_at, attempt, next_due_at, lease_until, schedule, time_zone, definition_hash,
                trigger_requested_at, (paused <> 0 OR next_due_at IS NULL OR next_due_at > {Now} + $ahead) AS manual, schedule_rev;
            """;

        // The earliest moment any of this node's other jobs can become claimable: a row leased by another node
        // counts at max(due, lease end); rows this node holds right now are excluded (it re-polls after them).
        // A pending manual trigger makes a row due at its request time, paused or not.
        var nextSql = $"""
            SELECT {Now}, MIN(max(due_at, COALESCE(lease_until, due_at)))
            FROM (
                SELECT lease_until, CASE
                    WHEN trigger_requested_at IS NOT NULL AND (paused <> 0 OR next_due_at IS NULL OR trigger_requested_at < next_due_at)
                        THEN trigger_requested_at
                    WHEN paused = 0 THEN next_due_at END AS due_at
                FROM jobs
                WHERE app = $app AND {nameFilter}
                  AND error IS NULL
                  AND NOT (owner_node IS $node AND lease_until > {Now}))
            WHERE due_at IS NOT NULL;
            """;

        var claimed = new List<ClaimedJob>();
        var (now, earliest, registrationNeeded) = await WriteAsync(async (connection, transaction) =>
        {
            claimed.Clear();
            await using (var claim = Command(connection, transaction, claimSql,
                ("$app", app), ("$node", nodeId), ("$names", names), ("$skip", skip), ("$max", maxJobs), ("$lease", ToMs(lease)), ("$ahead", ToMs(request.Ahead))))
            await using (var reader = await claim.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    // Claimed only for a pending trigger (paused, or not yet due): a manual run whose "occurrence"
                    // and due time are the request time; its completion keeps the schedule.
                    var manual = reader.GetInt64(10) != 0;
                    var dueAt = manual ? FromMs(reader.GetInt64(9)) : FromMs(reader.GetInt64(4));
                    claimed.Add(new ClaimedJob(
                        new ClaimToken(app, reader.GetString(0), nodeId, reader.GetInt64(1)),
                        manual || reader.IsDBNull(2) ? dueAt : FromMs(reader.GetInt64(2)),
                        manual ? 1 : reader.GetInt32(3),
                        dueAt,
                        FromMs(reader.GetInt64(5)),
                        reader.GetString(6),
                        reader.GetString(7),
                        reader.GetString(8),
                        manual,
                        reader.GetInt64(11)));
                }
            }

            DateTimeOffset now;
            DateTimeOffset? earliest;
            await using (var next = Command(connection, transaction, nextSql, ("$app", app), ("$node", nodeId), ("$names", names), ("$skip", skip)))
            await using (var row = await next.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                await row.ReadAsync(cancellationToken).ConfigureAwait(false);
                (now, earliest) = (FromMs(row.GetInt64(0)), row.IsDBNull(1) ? null : FromMs(row.GetInt64(1)));
            }

            var registrationNeeded = request.NodeLiveWindow is { } window
                && await KeepRegistrationAliveAsync(connection, transaction, app, nodeId, window, cancellationToken).ConfigureAwait(false);
            return (now, earliest, registrationNeeded);
        }, cancellationToken).ConfigureAwait(false);

        if (claimed.Count > 0) LogClaimed(_logger, claimed.Count, app, nodeId);
        return new ClaimBatch(claimed, now, earliest, registrationNeeded);
    }

    // See ClaimRequest.NodeLiveWindow: refreshes a live node's heartbeat at most every sixth of the window, and says
    // whether the node must register in full (its row is missing or fell out of the window, or the others changed).
    private async Task<bool> KeepRegistrationAliveAsync(SqliteConnection connection, SqliteTransaction transaction, string app, string nodeId,
        TimeSpan liveWindow, CancellationToken cancellationToken)
    {
        (string, object?)[] parameters = [("$app", app), ("$node", nodeId), ("$window", ToMs(liveWindow))];
        var selfLive = await ScalarAsync(connection, transaction, $"""
            SELECT 1 FROM nodes WHERE app = $app AND node_id = $node AND heartbeat_at >= {Now} - $window;
            """, cancellationToken, parameters).ConfigureAwait(false) is not null;
        if (!selfLive) return true;

        await ExecuteAsync(connection, transaction, $"""
            UPDATE nodes SET heartbeat_at = {Now}
            WHERE app = $app AND node_id = $node AND heartbeat_at <= {Now} - $window / 6;
            """, cancellationToken, parameters).ConfigureAwait(false);
        var fingerprint = (string)(await ScalarAsync(connection, transaction, OtherLiveNodesSql, cancellationToken, parameters).ConfigureAwait(false))!;
        return !_seenNodes.TryGetValue((app, nodeId), out var seen) || seen != fingerprint;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ClaimToken>> VerifyAsync(IReadOnlyList<ClaimToken> claims, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claims);
        if (claims.Count == 0) return [];
        var batch = SqliteJson.ClaimBatch(claims);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, $"""
            SELECT j.app, j.name, j.owner_node, j.fence
            FROM json_each($claims) c
            JOIN jobs j ON j.app = c.value ->> 0 AND j.name = c.value ->> 1
            WHERE j.owner_node = c.value ->> 2 AND j.fence = c.value ->> 3 AND j.lease_until > {Now};
            """, ("$claims", batch));
        var owned = new List<ClaimToken>(claims.Count);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            owned.Add(new ClaimToken(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3)));
        }

        return owned;
    }

    /// <inheritdoc />
    public Task<bool> HeartbeatAsync(ClaimToken claim, TimeSpan lease, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lease, TimeSpan.Zero);
        return FencedUpdateAsync(claim, $"lease_until = {Now} + $lease, updated_at = {Now}", cancellationToken, ("$lease", ToMs(lease)));
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<bool>> CompleteAsync(IReadOnlyList<Completion> completions, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(completions);
        if (completions.Count == 0) return [];
        foreach (var completion in completions) ArgumentNullException.ThrowIfNull(completion, nameof(completions));

        // One transaction under the write lock for the whole list: each history row exists if and only if its fenced
        // update applied.
        var recorded = await WriteAsync(async (connection, transaction) =>
        {
            var done = new bool[completions.Count];
            for (var i = 0; i < completions.Count; i++)
            {
                done[i] = await CompleteOneAsync(connection, transaction, completions[i], cancellationToken).ConfigureAwait(false);
            }

            return done;
        }, cancellationToken).ConfigureAwait(false);

        // No signal, as on PostgreSQL: the completing node claims again as soon as its slot is free, so it takes what
        // its completion left due itself; waking its loop (and every other in-process node) per batch was a loop round
        // for nothing.
        for (var i = 0; i < completions.Count; i++)
        {
            var claim = completions[i].Claim;
            if (!recorded[i]) LogLostClaim(_logger, "complete", claim.App, claim.JobName, claim.Fence);
        }

        return recorded;
    }

    private static async Task<bool> CompleteOneAsync(SqliteConnection connection, SqliteTransaction transaction, Completion completion, CancellationToken cancellationToken)
    {
        var claim = completion.Claim;
        var parameters = TokenParameters(claim).Concat(
        [
            ("$next_due", ToMs(completion.NextDueAt)),
            ("$next_occ", ToMs(completion.NextOccurrenceAt)),
            ("$next_attempt", completion.NextAttempt),
            ("$status", (int)completion.Status),
            ("$occ", completion.OccurrenceAt.ToUnixTimeMilliseconds()),
            ("$attempt", completion.Attempt),
            ("$started", ToMs(completion.StartedAt)),
            ("$duration", ToMs(completion.Duration)),
            ("$error_type", ErrorText.Type(completion.ErrorType)),
            ("$error_message", ErrorText.Message(completion.ErrorMessage)),
            ("$last_error", ErrorText.LastError(completion.ErrorType, completion.ErrorMessage)),
            ("$manual", completion.IsManualTrigger ? 1 : 0),
            ("$schedule_rev", completion.ScheduleRevision),
        ]).ToArray();

        // The schedule fields belong to the schedule state the run was claimed under ($schedule_rev): when a seed of a
        // new definition or a resume raised the row's revision during the run, the outcome is recorded and the claim
        // cleared, but the row's own due time stands (see the PostgreSQL store's CompleteSql).
        var update = $"""
            UPDATE jobs SET owner_node = NULL, lease_until = NULL, claimed_at = NULL,
                -- A manual run leaves the schedule alone; any run claimed after a trigger request satisfies it.
                next_due_at = CASE WHEN $manual OR schedule_rev <> COALESCE($schedule_rev, schedule_rev) THEN next_due_at ELSE $next_due END,
                occurrence_at = CASE WHEN $manual OR schedule_rev <> COALESCE($schedule_rev, schedule_rev) THEN occurrence_at ELSE $next_occ END,
                attempt = CASE WHEN $manual OR schedule_rev <> COALESCE($schedule_rev, schedule_rev) THEN attempt ELSE $next_attempt END,
                trigger_requested_at = CASE WHEN trigger_requested_at <= claimed_at THEN NULL ELSE trigger_requested_at END,
                last_status = $status, last_error = $last_error, last_node = $node,
                last_started_at = $started, last_finished_at = {Now}, last_duration_ms = $duration, updated_at = {Now}
            WHERE app = $app AND name = $name AND owner_node = $node AND fence = $fence;
            """;
        const string insert = """
            INSERT INTO runs (app, job_name, occurrence_at, attempt, node_id, fence, status, started_at, duration_ms, error_type, error_message, manual)
            VALUES ($app, $name, $occ, $attempt, $node, $fence, $status, $started, $duration, $error_type, $error_message, $manual);
            """;

        if (await ExecuteAsync(connection, transaction, update, cancellationToken, parameters).ConfigureAwait(false) != 1) return false;
        await ExecuteAsync(connection, transaction, insert, cancellationToken, parameters).ConfigureAwait(false);
        return true;
    }

    /// <inheritdoc />
    public async Task<bool> ReleaseAsync(ClaimToken claim, CancellationToken cancellationToken)
    {
        var released = await FencedUpdateAsync(claim, $"owner_node = NULL, lease_until = NULL, claimed_at = NULL, updated_at = {Now}", cancellationToken).ConfigureAwait(false);
        if (released) Notify(claim.App);
        return released;
    }

    /// <inheritdoc />
    public async Task MarkErroredAsync(ClaimToken claim, string reason, long? scheduleRevision, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        // Fenced like every write on a claim: a node that lost the row must not mark another node's claim. A row
        // re-seeded with a new definition since the claim read the bad one is only released.
        if (!await FencedUpdateAsync(claim,
                $"error = CASE WHEN schedule_rev = COALESCE($schedule_rev, schedule_rev) THEN $reason ELSE error END, owner_node = NULL, lease_until = NULL, claimed_at = NULL, updated_at = {Now}",
                cancellationToken, ("$reason", ErrorText.Message(reason)), ("$schedule_rev", scheduleRevision)).ConfigureAwait(false))
        {
            LogLostClaim(_logger, "mark errored", claim.App, claim.JobName, claim.Fence);
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<JobRow>> ListJobsAsync(string app, CancellationToken cancellationToken)
    {
        SqlNames.ValidateApp(app);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, $"SELECT {JobColumns}, trigger_requested_at, last_started_at, last_duration_ms FROM jobs WHERE app = $app ORDER BY name;", ("$app", app));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var rows = new List<JobRow>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(new JobRow(
                reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                NullableTime(reader, 4), NullableTime(reader, 5), reader.GetInt32(6),
                reader.IsDBNull(7) ? null : reader.GetString(7), reader.GetInt64(8), NullableTime(reader, 9),
                reader.GetInt64(10) != 0, reader.GetInt64(11) != 0, reader.IsDBNull(12) ? null : reader.GetString(12),
                reader.IsDBNull(13) ? null : (RunStatus)reader.GetInt32(13),
                reader.IsDBNull(14) ? null : reader.GetString(14), reader.IsDBNull(15) ? null : reader.GetString(15),
                NullableTime(reader, 16))
            {
                ScheduleRevision = reader.GetInt64(17),
                TriggerRequestedAt = NullableTime(reader, 18),
                LastStartedAt = NullableTime(reader, 19),
                LastDuration = reader.IsDBNull(20) ? null : TimeSpan.FromMilliseconds(reader.GetInt64(20)),
            });
        }

        return rows;
    }

    /// <inheritdoc />
    // The first page of QueryHistoryAsync: one statement and one row mapping for both.
    public Task<IReadOnlyList<RunRecord>> GetHistoryAsync(string app, string jobName, int limit, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(jobName);
        return QueryHistoryAsync(app, jobName, new HistoryQuery(limit), cancellationToken);
    }

    /// <inheritdoc />
    public async Task<bool> WaitForSignalAsync(string app, TimeSpan timeout, CancellationToken cancellationToken)
    {
        SqlNames.ValidateApp(app);
        if (timeout < TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "The wait must be zero or more, or Timeout.InfiniteTimeSpan.");
        }

        var signalled = Signals.GetOrAdd((_signalKey, app), static _ => new AppSignal()).Next;
        if (timeout == TimeSpan.Zero) return signalled.IsCompleted;
        using var timeoutCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var delay = Task.Delay(timeout, timeoutCts.Token);
        var first = await Task.WhenAny(signalled, delay).ConfigureAwait(false);
        timeoutCts.Cancel(); // stop the timer when the signal won
        cancellationToken.ThrowIfCancellationRequested();
        return first == signalled;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        // Close this file's idle pooled connections so the file is not held open after shutdown.
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
        return ValueTask.CompletedTask;
    }

    // ---------------------------------------------------------------- plumbing

    private void Notify(string app)
    {
        if (Signals.TryGetValue((_signalKey, app), out var signal)) signal.Set();
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            // Per connection (pooled connections keep it, re-setting is free): SQLite itself waits for a lock
            // instead of returning SQLITE_BUSY at once.
            await ExecuteAsync(connection, null, "PRAGMA busy_timeout = 30000;", cancellationToken).ConfigureAwait(false);
            if (Volatile.Read(ref _checkedVersion) == 0) await CheckVersionAsync(connection, cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task CheckVersionAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        var text = (string)(await ScalarAsync(connection, null, "SELECT sqlite_version();", cancellationToken).ConfigureAwait(false))!;
        // RETURNING arrived in 3.35 and the ->> operator in 3.38; the bundled e_sqlite3 is far newer.
        if (Version.TryParse(text, out var version) && version < new Version(3, 38))
        {
            throw new NotSupportedException(
                $"DistCron's SQLite store needs SQLite 3.38 or later (UPDATE … RETURNING, JSON ->>), but the loaded library is {text}. " +
                "Use the default SQLitePCLRaw.bundle_e_sqlite3 provider of Microsoft.Data.Sqlite.");
        }

        Volatile.Write(ref _checkedVersion, 1);
    }

    /// <summary>Runs <paramref name="work"/> in a <c>BEGIN IMMEDIATE</c> transaction and commits it.</summary>
    private async Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, Task<T>> work, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await BeginImmediateAsync(connection, cancellationToken).ConfigureAwait(false);
        var result = await work(connection, transaction).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return result;
    }

    // deferred: false makes Microsoft.Data.Sqlite issue BEGIN IMMEDIATE: the write lock is taken now, waiting on
    // the busy timeout, so a later write in the transaction can never fail to upgrade a read lock.
    // (Microsoft.Data.Sqlite has no async overload taking "deferred"; its async methods are synchronous anyway.)
    private static Task<SqliteTransaction> BeginImmediateAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(connection.BeginTransaction(deferred: false));
    }

    private Task<bool> FencedUpdateAsync(ClaimToken claim, string set, CancellationToken cancellationToken, params (string, object?)[] extra) =>
        WriteAsync(async (connection, transaction) =>
            await ExecuteAsync(connection, transaction,
                $"UPDATE jobs SET {set} WHERE app = $app AND name = $name AND owner_node = $node AND fence = $fence;",
                cancellationToken, TokenParameters(claim).Concat(extra).ToArray()).ConfigureAwait(false) == 1,
            cancellationToken);

    private static (string, object?)[] TokenParameters(ClaimToken claim) =>
        [("$app", claim.App), ("$name", claim.JobName), ("$node", claim.NodeId), ("$fence", claim.Fence)];

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command;
    }

    private static async Task<int> ExecuteAsync(SqliteConnection connection, SqliteTransaction? transaction, string sql, CancellationToken cancellationToken, params (string, object?)[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<object?> ScalarAsync(SqliteConnection connection, SqliteTransaction? transaction, string sql, CancellationToken cancellationToken, params (string, object?)[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        var value = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return value is DBNull ? null : value;
    }

    private static long ToMs(TimeSpan span) => (long)Math.Ceiling(span.TotalMilliseconds);

    private static long? ToMs(DateTimeOffset? time) => time?.ToUnixTimeMilliseconds();

    private static long? ToMs(TimeSpan? span) => span.HasValue ? ToMs(span.Value) : null;

    private static DateTimeOffset FromMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    private static DateTimeOffset? NullableTime(SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : FromMs(reader.GetInt64(ordinal));

    /// <summary>An async auto-reset event: each <see cref="Set"/> completes the current waiters' task and starts a new one.</summary>
    private sealed class AppSignal
    {
        private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Next => Volatile.Read(ref _next).Task;

        public void Set() =>
            Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    // Event ids 2001-2099: this store (see Diagnostics/Log.cs for every range).
    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "SQLite refused WAL journal mode (got '{Mode}'); readers and the writer will block each other.")]
    private static partial void LogNoWal(ILogger logger, string mode);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Warning, Message = "The DistCron SQLite schema is at version {Found}, newer than this node's {Known}; continuing (migrations are additive).")]
    private static partial void LogNewerSchema(ILogger logger, int found, int known);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Debug, Message = "Claimed {Count} job(s) of {App} for node {Node}.")]
    private static partial void LogClaimed(ILogger logger, int count, string app, string node);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Debug, Message = "Could not {Action} {App}/{Job}: fence {Fence} no longer owns the job (its lease expired and another node claimed it).")]
    private static partial void LogLostClaim(ILogger logger, string action, string app, string job, long fence);
}
