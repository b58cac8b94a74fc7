using Microsoft.Extensions.Logging;
using Npgsql;

namespace DistCron.Storage.Postgres;

// The migrator: applies PostgresSchema's numbered steps a schema lacks, under an advisory lock and a lock timeout.
internal sealed partial class PostgresJobStore
{
    // A deadlock victim is retried at once (a few times); a lock timeout after a pause, fewer times (see MigrateAsync).
    private const int MigrationAttemptsOnDeadlock = 5;
    private const int MigrationAttemptsOnLockTimeout = 3;

    /// <summary>
    /// How long each statement of a migration may wait for a table lock before the attempt is rolled back. Adding a
    /// column needs an ACCESS EXCLUSIVE lock on <c>jobs</c>; while that request waits behind a long transaction
    /// (a report, a session idle in transaction), PostgreSQL queues every later lock request on the table behind it:
    /// the whole fleet's claims, heartbeats and completions. The bound turns that stall into a few seconds.
    /// </summary>
    internal TimeSpan MigrationLockTimeout { get; init; } = TimeSpan.FromSeconds(5);

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

    /// <inheritdoc />
    public async Task CheckSchemaAsync(CancellationToken cancellationToken)
    {
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var found = await ReadSchemaVersionAsync(connection, cancellationToken).ConfigureAwait(false);
            if (found > PostgresSchema.LatestVersion) LogNewerSchema(_logger, _schema, found, PostgresSchema.LatestVersion);
            if (found < PostgresSchema.LatestVersion)
            {
                throw new SchemaNotReadyException(SchemaAdvice.Postgres(_schema, found, PostgresSchema.LatestVersion));
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

    // Event ids 1001-1099: this store; 1101-1199: its LISTEN connection (see Diagnostics/Log.cs for every range).
    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "DistCron migrated PostgreSQL schema {Schema} from version {From} to {To}.")]
    private static partial void LogMigrated(ILogger logger, string schema, int from, int to);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "DistCron PostgreSQL schema {Schema} is at version {Found}, newer than this build's {Known}; continuing (migrations are additive).")]
    private static partial void LogNewerSchema(ILogger logger, string schema, int found, int known);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "DistCron migration of PostgreSQL schema {Schema} was rolled back ({SqlState}: {Reason}); retrying (attempt {Attempt}).")]
    private static partial void LogMigrationRetry(ILogger logger, string schema, string sqlState, string reason, int attempt);
}
