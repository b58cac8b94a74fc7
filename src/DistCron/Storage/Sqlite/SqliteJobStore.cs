using System.Collections.Concurrent;
using DistCron.Engine;
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
internal sealed partial class SqliteJobStore : IJobStore
{
    // One async signal per (file, app), shared by every store instance in this process. Other processes are
    // noticed by polling: SQLite has no cross-process notification.
    private static readonly ConcurrentDictionary<(string File, string App), WakeSignal> Signals = new();

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
    public static string GetSchemaSql() => SqliteSchema.Script();

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
        var current = SqliteSchema.CurrentVersion;
        if (version > current)
        {
            // A newer DistCron migrated this file (rolling upgrade). Migrations are additive, so keep working.
            LogNewerSchema(_logger, version, current);
        }
        else if (version < current)
        {
            // Only what the file lacks: a new file gets the whole current schema, an older one the steps above its version.
            if (version < 1)
            {
                await ExecuteAsync(connection, transaction, SqliteSchema.Current, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                foreach (var (number, sql) in SqliteSchema.Upgrades)
                {
                    if (number > version) await ExecuteAsync(connection, transaction, sql, cancellationToken).ConfigureAwait(false);
                }
            }

            await ExecuteAsync(connection, transaction,
                "DELETE FROM schema_version; INSERT INTO schema_version (version) VALUES ($v);", cancellationToken,
                ("$v", current)).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task CheckSchemaAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        // Read without creating anything: schema_version may not exist yet.
        var hasTable = (long)(await ScalarAsync(connection, null,
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version');", cancellationToken).ConfigureAwait(false))!;
        var found = hasTable == 0 ? null : await ScalarAsync(connection, null, "SELECT MAX(version) FROM schema_version;", cancellationToken).ConfigureAwait(false);
        var version = found is long v ? (int)v : 0;
        var current = SqliteSchema.CurrentVersion;
        if (version > current) LogNewerSchema(_logger, version, current);
        if (version < current) throw new SchemaNotReadyException(SchemaAdvice.Sqlite(version, current, SqliteSchema.UpgradeScript));
    }

    /// <inheritdoc />
    public async Task<DateTimeOffset> GetDatabaseTimeAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        return FromMs((long)(await ScalarAsync(connection, null, $"SELECT {Now};", cancellationToken).ConfigureAwait(false))!);
    }

    /// <inheritdoc />
    public Task<bool> HeartbeatAsync(ClaimToken claim, TimeSpan lease, CancellationToken cancellationToken)
    {
        StoreRules.Lease(lease);
        return FencedUpdateAsync(claim, $"lease_until = {Now} + $lease", cancellationToken, ("$lease", ToMs(lease)));
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<bool>> CompleteAsync(IReadOnlyList<Completion> completions, CancellationToken cancellationToken)
    {
        StoreRules.Completions(completions);
        if (completions.Count == 0) return [];

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

        if (await ExecuteAsync(connection, transaction, CompleteUpdateSql, cancellationToken, parameters).ConfigureAwait(false) != 1) return false;
        await ExecuteAsync(connection, transaction, CompleteInsertSql, cancellationToken, parameters).ConfigureAwait(false);
        return true;
    }

    /// <inheritdoc />
    public async Task<bool> ReleaseAsync(ClaimToken claim, CancellationToken cancellationToken)
    {
        var released = await FencedUpdateAsync(claim, "owner_node = NULL, lease_until = NULL, claimed_at = NULL", cancellationToken).ConfigureAwait(false);
        if (released) Notify(claim.App);
        return released;
    }

    /// <inheritdoc />
    public async Task MarkErroredAsync(ClaimToken claim, string reason, long? scheduleRevision, CancellationToken cancellationToken)
    {
        StoreRules.Reason(reason);
        // Fenced like every write on a claim: a node that lost the row must not mark another node's claim. A row
        // re-seeded with a new definition since the claim read the bad one is only released.
        if (await FencedUpdateAsync(claim,
                $"error = CASE WHEN schedule_rev = COALESCE($schedule_rev, schedule_rev) THEN $reason ELSE error END, owner_node = NULL, lease_until = NULL, claimed_at = NULL, updated_at = {Now}",
                cancellationToken, ("$reason", ErrorText.Message(reason)), ("$schedule_rev", scheduleRevision)).ConfigureAwait(false))
        {
            // The row is claimable again (released) or no longer claimable (errored): either way the waiters' view changed.
            Notify(claim.App);
        }
        else
        {
            LogLostClaim(_logger, "mark errored", claim.App, claim.JobName, claim.Fence);
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<JobRow>> ListJobsAsync(string app, CancellationToken cancellationToken)
    {
        SqlNames.ValidateApp(app);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, $"SELECT {ListColumns} FROM jobs WHERE app = $app ORDER BY name;", ("$app", app));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var rows = new List<JobRow>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(ReadJob(reader));
        }

        return rows;
    }

    /// <summary>Columns every listing of whole job rows reads, in <see cref="ReadJob"/>'s order.</summary>
    private const string ListColumns = JobColumns + ", trigger_requested_at, last_started_at, last_duration_ms, disabled, definition_version, code_hash, pause_reason, pause_until, " +
        "declaring_type, method_name, options";

    private static JobRow ReadJob(SqliteDataReader reader) =>
        new JobRow(
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
            Disabled = reader.GetInt64(21) != 0,
            DefinitionVersion = reader.IsDBNull(22) ? null : reader.GetInt64(22),
            CodeHash = reader.IsDBNull(23) ? null : reader.GetString(23),
            PauseReason = reader.IsDBNull(24) ? null : reader.GetString(24),
            PauseUntil = NullableTime(reader, 25),
            Definition = DefinitionFacts.Read(
                reader.IsDBNull(26) ? null : reader.GetString(26), reader.IsDBNull(27) ? null : reader.GetString(27),
                reader.IsDBNull(28) ? null : reader.GetString(28), reader.GetString(3)),
        };

    /// <inheritdoc />
    public Task<bool> WaitForSignalAsync(string app, TimeSpan timeout, CancellationToken cancellationToken)
    {
        StoreRules.Wait(app, timeout);
        return Signals.GetOrAdd((_signalKey, app), static _ => new WakeSignal()).WaitAsync(timeout, consumePending: false, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        // Close this file's idle pooled connections so the file is not held open after shutdown.
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
        return ValueTask.CompletedTask;
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
