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
internal sealed partial class PostgresJobStore : IJobStore
{
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

    /// <summary>The NOTIFY channel this store signals on and listens to.</summary>
    internal string Channel => _channel;

    /// <summary>True while the LISTEN connection is up.</summary>
    internal bool IsListening => _listener.IsListening;

    /// <inheritdoc />
    public async Task<DateTimeOffset> GetDatabaseTimeAsync(CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand("SELECT now()");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return reader.GetFieldValue<DateTimeOffset>(0);
    }

    /// <inheritdoc />
    public async Task RegisterNodeAsync(NodeInfo node, TimeSpan liveWindow, CancellationToken cancellationToken)
    {
        StoreRules.Register(node, liveWindow);

        await using var command = _dataSource.CreateCommand(_registerNodeSql);
        command.Parameters.AddWithValue("app", node.App);
        command.Parameters.AddWithValue("node", node.NodeId);
        command.Parameters.AddWithValue("host", node.Host);
        command.Parameters.AddWithValue("pid", node.ProcessId);
        command.Parameters.AddWithValue("names", NpgsqlDbType.Array | NpgsqlDbType.Text, node.JobNames.Distinct(StringComparer.Ordinal).ToArray());
        command.Parameters.AddWithValue("live_window", NpgsqlDbType.Interval, liveWindow);
        command.Parameters.AddWithValue("library_version", NpgsqlDbType.Text, (object?)node.LibraryVersion ?? DBNull.Value);
        command.Parameters.AddWithValue("deployment_version", NpgsqlDbType.Bigint, (object?)node.DeploymentVersion ?? DBNull.Value);
        command.Parameters.AddWithValue("runtime", NpgsqlDbType.Text, (object?)node.Runtime ?? DBNull.Value);
        var key = (node.App, node.NodeId);
        command.Parameters.AddWithValue("seen", NpgsqlDbType.Text, _seenNodes.TryGetValue(key, out var seen) ? seen : DBNull.Value);
        // Remembered only after the statement committed: a failed registration recomputes next time.
        _seenNodes[key] = (string)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <inheritdoc />
    public async Task UnregisterNodeAsync(string app, string nodeId, CancellationToken cancellationToken)
    {
        StoreRules.Node(app, nodeId);
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
        StoreRules.Claim(request);

        var (app, nodeId) = (request.App, request.NodeId);
        await using var command = _dataSource.CreateCommand(_claimSql.Text);
        var p = _claimSql.Bind(command.Parameters);
        p.Set("app", app);
        p.Set("node", nodeId);
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
        var pausesEnded = false;
        ClaimCursor? resume = null;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            databaseNow = reader.GetFieldValue<DateTimeOffset>(0);
            earliest = NullableTime(reader, 1);
            pausesEnded = reader.GetBoolean(17);
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

        return new ClaimBatch(claimed, databaseNow, earliest, registrationNeeded) { Resume = resume, PausesEnded = pausesEnded };
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
        StoreRules.Lease(lease);
        await using var command = _dataSource.CreateCommand(_heartbeatSql.Text);
        var p = _heartbeatSql.Bind(command.Parameters);
        SetClaim(p, claim);
        p.Set("lease", NpgsqlDbType.Interval, lease);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<bool>> CompleteAsync(IReadOnlyList<Completion> completions, CancellationToken cancellationToken)
    {
        StoreRules.Completions(completions);
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
        StoreRules.Reason(reason);
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
            rows.Add(ReadJob(reader));
        }

        return rows;
    }

    /// <inheritdoc />
    public Task<bool> WaitForSignalAsync(string app, TimeSpan timeout, CancellationToken cancellationToken)
    {
        StoreRules.Wait(app, timeout);
        return _listener.WaitAsync(app, timeout, cancellationToken);
    }

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

    /// <summary>Reads a row of <c>ListJobsSql</c>'s columns, in its order.</summary>
    private static JobRow ReadJob(NpgsqlDataReader reader) =>
        new JobRow(
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
            Disabled = reader.GetBoolean(21),
            DefinitionVersion = reader.IsDBNull(22) ? null : reader.GetInt64(22),
            CodeHash = NullableString(reader, 23),
            PauseReason = NullableString(reader, 24),
            PauseUntil = NullableTime(reader, 25),
            Definition = DefinitionFacts.Read(NullableString(reader, 26), NullableString(reader, 27), NullableString(reader, 28), reader.GetString(3)),
        };

    private static DateTimeOffset? NullableTime(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetFieldValue<DateTimeOffset>(ordinal);

    private static string? NullableString(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}
