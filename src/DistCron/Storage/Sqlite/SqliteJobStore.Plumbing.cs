using Microsoft.Data.Sqlite;

namespace DistCron.Storage.Sqlite;

// Connections, write transactions (BEGIN IMMEDIATE), commands and the unix-millisecond time columns.
internal sealed partial class SqliteJobStore
{
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
}
