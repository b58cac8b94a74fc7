using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NpgsqlTypes;

namespace DistCron.Storage.Postgres;

/// <summary>
/// The PostgreSQL store: every protocol step is one statement that decides with the database clock (<c>now()</c>)
/// and, for writes on a claim, applies only while owner and fence still match.
/// </summary>
/// <remarks>
/// Thread-safe: every call rents its own pooled connection from the data source; the only long-lived connection
/// is the LISTEN connection behind <see cref="WaitForSignalAsync"/> (one per store, held from the first wait until
/// disposal, so size the pool accordingly). Behind PgBouncer in transaction mode LISTEN does not work; waits then
/// simply time out and the scheduler polls. The schema name is validated and is the only text spliced into SQL;
/// every value is a parameter.
/// </remarks>
public sealed partial class PostgresJobStore : IJobStore
{
    // A deadlock victim is retried at once (a few times); a lock timeout after a pause, fewer times (see MigrateAsync).
    private const int MigrationAttemptsOnDeadlock = 5;
    private const int MigrationAttemptsOnLockTimeout = 3;

    private readonly NpgsqlDataSource _dataSource;
    private readonly string _schema;
    private readonly string _channel;

    // Per registered node: the fingerprint of the other live nodes its last registration saw (see RegisterNodeSql).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string App, string Node), string> _seenNodes = new();
    private readonly ILogger _logger;
    private readonly PostgresSignalListener _listener;
    // The statements sent per occurrence (or per claim) are positional: see PositionalSql.
    private readonly PositionalSql _claimSql, _verifySql, _heartbeatSql, _completeSql, _releaseSql, _markErroredSql;
    private readonly string _seedSql, _seedLockSql, _seedCheckSql, _registerNodeSql, _unregisterNodeSql, _listJobsSql, _schemaVersionSql;

    /// <summary>Creates the store over a data source the caller owns (it is not disposed by the store).</summary>
    /// <param name="dataSource">The Npgsql data source (pooling, credentials and TLS are its concern).</param>
    /// <param name="schema">The PostgreSQL schema holding DistCron's tables: lower-case letters, digits, '_'.</param>
    /// <param name="logger">Optional logger.</param>
    public PostgresJobStore(NpgsqlDataSource dataSource, string schema = "distcron", ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        _schema = SqlNames.ValidateSchema(schema);
        _dataSource = dataSource;
        _channel = SqlNames.NotifyChannel(_schema);
        _logger = logger ?? NullLogger.Instance;
        _listener = new PostgresSignalListener(dataSource, _channel, _logger);

        _claimSql = PositionalSql.Rewrite(Bind(ClaimSql));
        _verifySql = PositionalSql.Rewrite(Bind(VerifySql));
        _heartbeatSql = PositionalSql.Rewrite(Bind(HeartbeatSql));
        _completeSql = PositionalSql.Rewrite(Bind(CompleteSql));
        _releaseSql = PositionalSql.Rewrite(Bind(ReleaseSql));
        _markErroredSql = PositionalSql.Rewrite(Bind(MarkErroredSql));
        _seedSql = Bind(SeedSql);
        _seedLockSql = Bind(SeedLockSql);
        _seedCheckSql = Bind(SeedCheckSql);
        _registerNodeSql = Bind(RegisterNodeSql);
        _unregisterNodeSql = Bind(UnregisterNodeSql);
        _listJobsSql = Bind(ListJobsSql);
        _schemaVersionSql = Bind(SchemaVersionSql);
    }

    /// <summary>
    /// The DDL that creates (or completes) the schema, for DBAs who forbid DDL from applications: every migration
    /// in order, then the version row. It is idempotent. (<see cref="MigrateAsync"/> runs only the migrations a
    /// schema lacks.)
    /// </summary>
    public static string GetSchemaSql(string schema = "distcron") => PostgresSchema.Script(schema);

    /// <inheritdoc />
    public string Kind => "postgres";

    /// <summary>
    /// How long each statement of a migration may wait for a table lock before the attempt is rolled back. Adding a
    /// column needs an ACCESS EXCLUSIVE lock on <c>jobs</c>; while that request waits behind a long transaction
    /// (a report, a session idle in transaction), PostgreSQL queues every later lock request on the table behind it:
    /// the whole fleet's claims, heartbeats and completions. The bound turns that stall into a few seconds.
    /// </summary>
    internal TimeSpan MigrationLockTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The NOTIFY channel this store signals on and listens to.</summary>
    internal string Channel => _channel;

    /// <summary>True while the LISTEN connection is up.</summary>
    internal bool IsListening => _listener.IsListening;

    /// <inheritdoc />
    /// <remarks>
    /// Applies, in one transaction under an advisory lock, only the migrations numbered above the schema's version,
    /// raising the version row after each: a failure rolls everything back. A current schema costs one read.
    /// Throws <see cref="TimeoutException"/> when another transaction kept the tables locked through every attempt.
    /// </remarks>
    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await MigrateOnceAsync(cancellationToken).ConfigureAwait(false);
                return;
            }
            // DDL that runs while other nodes already claim and complete can be chosen as a deadlock victim (40P01).
            // PostgreSQL has rolled the victim's transaction back, so trying again is safe, and the retry usually
            // finds the schema current. A few attempts, then the error reaches the caller (the engine retries
            // start-up anyway).
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.DeadlockDetected && attempt < MigrationAttemptsOnDeadlock)
            {
                LogMigrationRetry(_logger, _schema, ex.SqlState, ex.MessageText, attempt);
                await Task.Delay(TimeSpan.FromMilliseconds(50 * attempt), cancellationToken).ConfigureAwait(false);
            }
            // lock_timeout (55P03): a long transaction holds a lock the DDL needs. The attempt was rolled back, so the
            // claims queued behind its lock request run now; pause before queueing again so they get through, and
            // after a few attempts report it clearly (the engine's start-up retries with backoff).
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.LockNotAvailable)
            {
                if (attempt >= MigrationAttemptsOnLockTimeout)
                {
                    throw new TimeoutException(
                        $"DistCron could not upgrade PostgreSQL schema '{_schema}' to version {PostgresSchema.LatestVersion}: " +
                        $"{attempt} attempts each waited more than {MigrationLockTimeout.TotalSeconds:0.###} s for a lock on its tables " +
                        "held by another transaction, and were rolled back (nothing was changed). Find the blocking session " +
                        $"(long-running or 'idle in transaction' on {_schema}.jobs: pg_stat_activity, pg_locks); start-up retries the upgrade.",
                        ex);
                }

                LogMigrationRetry(_logger, _schema, ex.SqlState, ex.MessageText, attempt);
                await Task.Delay(TimeSpan.FromSeconds(attempt), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task MigrateOnceAsync(CancellationToken cancellationToken)
    {
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            // Fast path without locks or DDL: an up-to-date schema needs nothing (and a role without CREATE
            // rights on the database can start once a DBA has applied GetSchemaSql()).
            var current = await ReadSchemaVersionAsync(connection, cancellationToken).ConfigureAwait(false);
            if (current >= PostgresSchema.LatestVersion)
            {
                if (current > PostgresSchema.LatestVersion) LogNewerSchema(_logger, _schema, current, PostgresSchema.LatestVersion);
                return;
            }

            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                // Waiting here for another node's migration is bounded by that node's own lock timeout, so the
                // timeout is set only once this node holds the lock.
                await using (var lockCommand = new NpgsqlCommand(MigrationLockSql, connection, transaction))
                {
                    lockCommand.Parameters.AddWithValue("lock_name", "distcron.migrate." + _schema);
                    await lockCommand.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                await using (var timeoutCommand = new NpgsqlCommand(MigrationLockTimeoutSql, connection, transaction))
                {
                    var milliseconds = Math.Max(1, (long)MigrationLockTimeout.TotalMilliseconds);
                    timeoutCommand.Parameters.AddWithValue("timeout", milliseconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    await timeoutCommand.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                // Nodes that start together all miss the fast path and queue on the lock; the first one migrates, so
                // re-read the version under the lock.
                current = await ReadSchemaVersionAsync(connection, cancellationToken).ConfigureAwait(false);
                if (current >= PostgresSchema.LatestVersion)
                {
                    await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                    return;
                }

                // Only the migrations this schema lacks (all of them when the version table does not exist yet).
                // Re-running the applied ones, idempotent as they are, still takes their table locks (CREATE INDEX IF
                // NOT EXISTS a SHARE lock on jobs, then ALTER TABLE an ACCESS EXCLUSIVE one) while the fleet claims and
                // completes, and those waits deadlocked (40P01) against claims. Each step raises the version row to its
                // own number; it is never lowered.
                for (var number = Math.Max(current, 0) + 1; number <= PostgresSchema.LatestVersion; number++)
                {
                    await using var step = new NpgsqlCommand(PostgresSchema.Step(_schema, number), connection, transaction);
                    await step.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }

            LogMigrated(_logger, _schema, current, PostgresSchema.LatestVersion);
        }
    }

    private async Task<int> ReadSchemaVersionAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using (var exists = new NpgsqlCommand(SchemaVersionTableExistsSql, connection))
        {
            exists.Parameters.AddWithValue("table", _schema + ".schema_version");
            if (!(bool)(await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!) return 0;
        }

        await using var version = new NpgsqlCommand(_schemaVersionSql, connection);
        return (int)(await version.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <inheritdoc />
    public async Task<DateTimeOffset> GetDatabaseTimeAsync(CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand("SELECT now()");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return reader.GetFieldValue<DateTimeOffset>(0);
    }

    /// <inheritdoc />
    public async Task SeedAsync(string app, IReadOnlyList<SeedJob> jobs, CancellationToken cancellationToken)
    {
        SqlNames.ValidateApp(app);
        ArgumentNullException.ThrowIfNull(jobs);
        if (jobs.Count == 0) return;

        // One upsert cannot touch a row twice: reject duplicates with a clear message instead of a SQL error.
        var duplicate = jobs.GroupBy(j => j.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"The seed batch contains the job name '{duplicate.Key}' more than once.", nameof(jobs));

        var sorted = jobs.OrderBy(j => j.Name, StringComparer.Ordinal).ToArray();
        var names = sorted.Select(j => j.Name).ToArray();
        // A restart with unchanged code (every kill, crash and scale-out) has nothing to write: it must not lock the
        // app's rows, which would hold every other node's heartbeats and completions behind a cold process's seed
        // transaction (leases were lost that way under load). Skipping is the same as having seeded just before
        // whatever write a concurrent seed makes next.
        if (!await SeedHasWorkAsync(app, sorted, names, cancellationToken).ConfigureAwait(false)) return;
        // A name another seed inserts between this seed's lock and its upsert is skipped by the upsert; the next
        // attempt finds the row and locks it. Rows are never inserted and deleted in a loop, so a few attempts do.
        for (var attempt = 1; attempt <= MaxSeedAttempts; attempt++)
        {
            if (await TrySeedAsync(app, sorted, names, cancellationToken).ConfigureAwait(false)) return;
        }

        throw new InvalidOperationException(
            $"Seeding the jobs of app '{app}' kept racing with rows inserted and removed concurrently ({MaxSeedAttempts} attempts); retry the start-up.");
    }

    private const int MaxSeedAttempts = 5;

    // Whether the upsert would change any row: a missing row, or one whose definition differs (and is not newer than
    // this node's, by DeploymentVersion), or that is orphaned or errored. The same conditions as SeedSql's WHERE.
    private async Task<bool> SeedHasWorkAsync(string app, SeedJob[] sorted, string[] names, CancellationToken cancellationToken)
    {
        var rows = new Dictionary<string, (string? Hash, bool NeedsWrite, long? Version)>(StringComparer.Ordinal);
        await using (var command = _dataSource.CreateCommand(_seedCheckSql))
        {
            command.Parameters.AddWithValue("app", app);
            command.Parameters.AddWithValue("names", NpgsqlDbType.Array | NpgsqlDbType.Text, names);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                rows[reader.GetString(0)] = (
                    reader.IsDBNull(1) ? null : reader.GetString(1),
                    reader.GetBoolean(2),
                    reader.IsDBNull(3) ? null : reader.GetInt64(3));
            }
        }

        foreach (var job in sorted)
        {
            if (!rows.TryGetValue(job.Name, out var row) || row.NeedsWrite) return true;
            if (string.Equals(row.Hash, job.DefinitionHash, StringComparison.Ordinal)) continue;
            var olderThanRow = job.DefinitionVersion is { } mine && row.Version is { } theirs && mine < theirs;
            if (!olderThanRow) return true;
        }

        return false;
    }

    // One transaction: lock the existing rows, read the clock under the locks, compute each due time (after the clock,
    // and after the occurrence a node is running on a claimed row), upsert. Nothing can run an occurrence between the
    // clock read and the write, so a new definition's due time never names an occurrence that already ran.
    // False: some name's row appeared after the lock (another seed inserted it) and was not written.
    private async Task<bool> TrySeedAsync(string app, SeedJob[] sorted, string[] names, CancellationToken cancellationToken)
    {
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                var inFlight = new Dictionary<string, DateTimeOffset?>(StringComparer.Ordinal);
                DateTimeOffset now;
                await using (var lockCommand = new NpgsqlCommand(_seedLockSql, connection, transaction))
                {
                    lockCommand.Parameters.AddWithValue("app", app);
                    lockCommand.Parameters.AddWithValue("names", NpgsqlDbType.Array | NpgsqlDbType.Text, names);
                    lockCommand.Parameters.AddWithValue("scheduled_window", NpgsqlDbType.Interval, SeedJob.ScheduledClaimWindow);
                    await using var reader = await lockCommand.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        inFlight[reader.GetString(0)] = NullableTime(reader, 1);
                    }

                    await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
                    await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                    now = reader.GetFieldValue<DateTimeOffset>(0);
                }

                var written = new HashSet<string>(StringComparer.Ordinal);
                await using (var command = new NpgsqlCommand(_seedSql, connection, transaction))
                {
                    command.Parameters.AddWithValue("app", app);
                    command.Parameters.AddWithValue("channel", _channel);
                    command.Parameters.AddWithValue("names", NpgsqlDbType.Array | NpgsqlDbType.Text, names);
                    command.Parameters.AddWithValue("schedules", NpgsqlDbType.Array | NpgsqlDbType.Text, sorted.Select(j => j.Schedule).ToArray());
                    command.Parameters.AddWithValue("time_zones", NpgsqlDbType.Array | NpgsqlDbType.Text, sorted.Select(j => j.TimeZone).ToArray());
                    command.Parameters.AddWithValue("hashes", NpgsqlDbType.Array | NpgsqlDbType.Text, sorted.Select(j => j.DefinitionHash).ToArray());
                    command.Parameters.AddWithValue("due_at", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz,
                        sorted.Select(j => Utc(j.DueUnderLock(now, inFlight.GetValueOrDefault(j.Name)))).ToArray());
                    command.Parameters.AddWithValue("versions", NpgsqlDbType.Array | NpgsqlDbType.Bigint, sorted.Select(j => j.DefinitionVersion).ToArray());
                    command.Parameters.AddWithValue("locked", NpgsqlDbType.Array | NpgsqlDbType.Text, inFlight.Keys.ToArray());
                    await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) written.Add(reader.GetString(0));
                }

                if (names.Any(n => !inFlight.ContainsKey(n) && !written.Contains(n)))
                {
                    await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
                    return false;
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return true;
            }
        }
    }

    /// <inheritdoc />
    public async Task RegisterNodeAsync(NodeInfo node, TimeSpan liveWindow, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(node);
        SqlNames.ValidateApp(node.App);
        if (liveWindow <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(liveWindow), liveWindow, "The live window must be positive.");

        await using var command = _dataSource.CreateCommand(_registerNodeSql);
        command.Parameters.AddWithValue("app", node.App);
        command.Parameters.AddWithValue("node", node.NodeId);
        command.Parameters.AddWithValue("host", node.Host);
        command.Parameters.AddWithValue("pid", node.ProcessId);
        command.Parameters.AddWithValue("names", NpgsqlDbType.Array | NpgsqlDbType.Text, node.JobNames.Distinct(StringComparer.Ordinal).ToArray());
        command.Parameters.AddWithValue("live_window", NpgsqlDbType.Interval, liveWindow);
        var key = (node.App, node.NodeId);
        command.Parameters.AddWithValue("seen", NpgsqlDbType.Text, _seenNodes.TryGetValue(key, out var seen) ? seen : DBNull.Value);
        // Remembered only after the statement committed: a failed registration recomputes next time.
        _seenNodes[key] = (string)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <inheritdoc />
    public async Task UnregisterNodeAsync(string app, string nodeId, CancellationToken cancellationToken)
    {
        SqlNames.ValidateApp(app);
        _seenNodes.TryRemove((app, nodeId), out _);
        await using var command = _dataSource.CreateCommand(_unregisterNodeSql);
        command.Parameters.AddWithValue("app", app);
        command.Parameters.AddWithValue("node", nodeId);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    // Before every row: Npgsql writes DateTimeOffset.MinValue as '-infinity' (or, with its infinity conversions
    // switched off, as the year 1), and a claim with no position starts from the first row either way.
    private static readonly DateTimeOffset NegativeInfinity = DateTimeOffset.MinValue;

    /// <inheritdoc />
    public async Task<ClaimBatch> ClaimDueAsync(ClaimRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        SqlNames.ValidateApp(request.App);
        ArgumentException.ThrowIfNullOrEmpty(request.NodeId);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(request.MaxJobs);
        if (request.Lease <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(request), request.Lease, "The lease must be positive.");
        if (request.NodeLiveWindow <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(request), request.NodeLiveWindow, "The live window must be positive.");
        if (request.Ahead < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(request), request.Ahead, "Ahead must not be negative.");

        var (app, nodeId) = (request.App, request.NodeId);
        await using var command = _dataSource.CreateCommand(_claimSql.Text);
        var p = _claimSql.Bind(command.Parameters);
        p.Set("app", app);
        p.Set("node", nodeId);
        p.Set("names", NpgsqlDbType.Array | NpgsqlDbType.Text, (object?)request.JobNames?.ToArray() ?? DBNull.Value);
        p.Set("skip", NpgsqlDbType.Array | NpgsqlDbType.Text, (request.ExcludedNames ?? []).ToArray());
        p.Set("max", request.MaxJobs);
        p.Set("ahead", NpgsqlDbType.Interval, request.Ahead);
        p.Set("lease", NpgsqlDbType.Interval, request.Lease);
        p.Set("live_window", NpgsqlDbType.Interval, (object?)request.NodeLiveWindow ?? DBNull.Value);
        // Always a value, never NULL-or-bound: the bound must stay an index condition in the prepared (generic) plan.
        p.Set("after_due", NpgsqlDbType.TimestampTz, request.After is { } after ? after.DueAt : NegativeInfinity);
        p.Set("after_name", NpgsqlDbType.Text, request.After?.JobName ?? "");

        var claimed = new List<ClaimedJob>();
        DateTimeOffset databaseNow = default;
        DateTimeOffset? earliest = null;
        var registrationNeeded = false;
        ClaimCursor? resume = null;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            databaseNow = reader.GetFieldValue<DateTimeOffset>(0);
            earliest = NullableTime(reader, 1);
            if (request.NodeLiveWindow is not null)
            {
                var selfLive = reader.GetBoolean(2);
                var fingerprint = reader.GetString(3);
                registrationNeeded = !selfLive || !_seenNodes.TryGetValue((app, nodeId), out var seen) || seen != fingerprint;
            }

            if (reader.IsDBNull(4)) continue; // nothing claimed: the single row carries only now() and the earliest due time
            if (resume is null && !reader.IsDBNull(14)) resume = new ClaimCursor(reader.GetFieldValue<DateTimeOffset>(14), reader.GetString(15));
            claimed.Add(new ClaimedJob(
                Token: new ClaimToken(app, reader.GetString(4), nodeId, reader.GetInt64(5)),
                OccurrenceAt: reader.GetFieldValue<DateTimeOffset>(6),
                Attempt: reader.GetInt32(7),
                DueAt: reader.GetFieldValue<DateTimeOffset>(8),
                LeaseUntil: reader.GetFieldValue<DateTimeOffset>(9),
                Schedule: reader.GetString(10),
                TimeZone: reader.GetString(11),
                DefinitionHash: reader.GetString(12),
                IsManualTrigger: reader.GetBoolean(13),
                ScheduleRevision: reader.GetInt64(16)));
        }

        return new ClaimBatch(claimed, databaseNow, earliest, registrationNeeded) { Resume = resume };
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ClaimToken>> VerifyAsync(IReadOnlyList<ClaimToken> claims, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claims);
        if (claims.Count == 0) return [];
        await using var command = _dataSource.CreateCommand(_verifySql.Text);
        var p = _verifySql.Bind(command.Parameters);
        p.Set("apps", NpgsqlDbType.Array | NpgsqlDbType.Text, claims.Select(c => c.App).ToArray());
        p.Set("names", NpgsqlDbType.Array | NpgsqlDbType.Text, claims.Select(c => c.JobName).ToArray());
        p.Set("nodes", NpgsqlDbType.Array | NpgsqlDbType.Text, claims.Select(c => c.NodeId).ToArray());
        p.Set("fences", NpgsqlDbType.Array | NpgsqlDbType.Bigint, claims.Select(c => c.Fence).ToArray());
        var owned = new List<ClaimToken>(claims.Count);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            owned.Add(new ClaimToken(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3)));
        }

        return owned;
    }

    /// <inheritdoc />
    public async Task<bool> HeartbeatAsync(ClaimToken claim, TimeSpan lease, CancellationToken cancellationToken)
    {
        if (lease <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(lease), lease, "The lease must be positive.");
        await using var command = _dataSource.CreateCommand(_heartbeatSql.Text);
        var p = _heartbeatSql.Bind(command.Parameters);
        SetClaim(p, claim);
        p.Set("lease", NpgsqlDbType.Interval, lease);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<bool>> CompleteAsync(IReadOnlyList<Completion> completions, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(completions);
        if (completions.Count == 0) return [];

        // One round trip: the same fenced statement per completion, pipelined in one batch (one implicit transaction).
        // Rows are locked in name order, as the seed and the registration lock them: no deadlock between batches.
        var order = Enumerable.Range(0, completions.Count)
            .OrderBy(i => completions[i].Claim.App, StringComparer.Ordinal)
            .ThenBy(i => completions[i].Claim.JobName, StringComparer.Ordinal).ToArray();
        await using var batch = _dataSource.CreateBatch();
        foreach (var i in order)
        {
            var command = new NpgsqlBatchCommand(_completeSql.Text);
            SetCompletion(_completeSql.Bind(command.Parameters), completions[i]);
            batch.BatchCommands.Add(command);
        }

        var recorded = new bool[completions.Count];
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        foreach (var i in order)
        {
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            recorded[i] = reader.GetInt64(0) == 1;
            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        }

        return recorded;
    }

    private static void SetCompletion(PositionalSql.Binder parameters, Completion completion)
    {
        ArgumentNullException.ThrowIfNull(completion);
        SetClaim(parameters, completion.Claim);
        parameters.Set("status", NpgsqlDbType.Smallint, (short)completion.Status);
        parameters.Set("occurrence_at", NpgsqlDbType.TimestampTz, completion.OccurrenceAt.ToUniversalTime());
        parameters.Set("attempt", completion.Attempt);
        parameters.Set("started_at", NpgsqlDbType.TimestampTz, Utc(completion.StartedAt) ?? (object)DBNull.Value);
        parameters.Set("duration_ms", (long)Math.Max(0, completion.Duration.TotalMilliseconds));
        parameters.Set("error_type", NpgsqlDbType.Text, (object?)ErrorText.Type(completion.ErrorType) ?? DBNull.Value);
        parameters.Set("error_message", NpgsqlDbType.Text, (object?)ErrorText.Message(completion.ErrorMessage) ?? DBNull.Value);
        parameters.Set("last_error", NpgsqlDbType.Text, (object?)ErrorText.LastError(completion.ErrorType, completion.ErrorMessage) ?? DBNull.Value);
        parameters.Set("manual", completion.IsManualTrigger);
        parameters.Set("next_due_at", NpgsqlDbType.TimestampTz, Utc(completion.NextDueAt) ?? (object)DBNull.Value);
        parameters.Set("next_occurrence_at", NpgsqlDbType.TimestampTz, Utc(completion.NextOccurrenceAt ?? completion.NextDueAt) ?? (object)DBNull.Value);
        parameters.Set("next_attempt", completion.NextAttempt);
        parameters.Set("schedule_rev", NpgsqlDbType.Bigint, (object?)completion.ScheduleRevision ?? DBNull.Value);
    }

    /// <inheritdoc />
    public async Task<bool> ReleaseAsync(ClaimToken claim, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(_releaseSql.Text);
        var p = _releaseSql.Bind(command.Parameters);
        SetClaim(p, claim);
        p.Set("channel", _channel);
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))! == 1;
    }

    /// <inheritdoc />
    public async Task MarkErroredAsync(ClaimToken claim, string reason, long? scheduleRevision, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        await using var command = _dataSource.CreateCommand(_markErroredSql.Text);
        var p = _markErroredSql.Bind(command.Parameters);
        SetClaim(p, claim);
        p.Set("schedule_rev", NpgsqlDbType.Bigint, (object?)scheduleRevision ?? DBNull.Value);
        p.Set("channel", _channel);
        p.Set("reason", ErrorText.Message(reason)!);
        await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<JobRow>> ListJobsAsync(string app, CancellationToken cancellationToken)
    {
        SqlNames.ValidateApp(app);
        await using var command = _dataSource.CreateCommand(_listJobsSql);
        command.Parameters.AddWithValue("app", app);
        var rows = new List<JobRow>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(new JobRow(
                Name: reader.GetString(0),
                Schedule: reader.GetString(1),
                TimeZone: reader.GetString(2),
                DefinitionHash: reader.GetString(3),
                NextDueAt: NullableTime(reader, 4),
                OccurrenceAt: NullableTime(reader, 5),
                Attempt: reader.GetInt32(6),
                OwnerNode: NullableString(reader, 7),
                Fence: reader.GetInt64(8),
                LeaseUntil: NullableTime(reader, 9),
                Paused: reader.GetBoolean(10),
                Orphaned: reader.GetBoolean(11),
                Error: NullableString(reader, 12),
                LastStatus: reader.IsDBNull(13) ? null : (RunStatus)reader.GetInt16(13),
                LastError: NullableString(reader, 14),
                LastNode: NullableString(reader, 15),
                LastFinishedAt: NullableTime(reader, 16))
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
    public Task<bool> WaitForSignalAsync(string app, TimeSpan timeout, CancellationToken cancellationToken) =>
        _listener.WaitAsync(SqlNames.ValidateApp(app), timeout, cancellationToken);

    /// <summary>Closes the LISTEN connection. The data source belongs to the caller and stays open.</summary>
    public ValueTask DisposeAsync() => _listener.DisposeAsync();

    private string Bind(string sql) => sql.Replace("{schema}", _schema, StringComparison.Ordinal);

    private static void SetClaim(PositionalSql.Binder parameters, ClaimToken claim)
    {
        parameters.Set("app", claim.App);
        parameters.Set("name", claim.JobName);
        parameters.Set("node", claim.NodeId);
        parameters.Set("fence", claim.Fence);
    }

    // Npgsql writes timestamptz only from UTC values (offset 0).
    private static DateTimeOffset? Utc(DateTimeOffset? value) => value?.ToUniversalTime();

    private static DateTimeOffset? NullableTime(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetFieldValue<DateTimeOffset>(ordinal);

    private static string? NullableString(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    // Event ids 1001-1099: this store; 1101-1199: its LISTEN connection (see Diagnostics/Log.cs for every range).
    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "DistCron migrated PostgreSQL schema {Schema} from version {From} to {To}.")]
    private static partial void LogMigrated(ILogger logger, string schema, int from, int to);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "DistCron PostgreSQL schema {Schema} is at version {Found}, newer than this build's {Known}; continuing (migrations are additive).")]
    private static partial void LogNewerSchema(ILogger logger, string schema, int found, int known);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "DistCron migration of PostgreSQL schema {Schema} was rolled back ({SqlState}: {Reason}); retrying (attempt {Attempt}).")]
    private static partial void LogMigrationRetry(ILogger logger, string schema, string sqlState, string reason, int attempt);
}
