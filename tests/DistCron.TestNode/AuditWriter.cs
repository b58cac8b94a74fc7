using Microsoft.Data.Sqlite;
using Npgsql;

namespace DistCron.TestNode;

/// <summary>Writes the audit row of a run with plain ADO.NET, retrying through database outages until it lands.</summary>
public abstract class AuditWriter : IAsyncDisposable
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(250);

    protected AuditWriter(string app) => App = app;

    protected string App { get; }

    public static AuditWriter Create(NodeArguments arguments) => arguments.Store switch
    {
        StoreKind.Postgres => new PostgresAuditWriter(arguments.App, arguments.Connection),
        _ => new SqliteAuditWriter(arguments.App, arguments.AuditPath),
    };

    /// <summary>
    /// Creates the audit table if missing; safe when every node of the fleet does it at once. A node restarted while
    /// the chaos run holds the database down waits for it (up to two minutes), as the DistCron engine itself does.
    /// </summary>
    public async Task EnsureTableAsync(CancellationToken cancellationToken)
    {
        var deadline = DateTimeOffset.UtcNow + TimeSpan.FromMinutes(2);
        while (true)
        {
            try
            {
                await CreateTableAsync(cancellationToken);
                return;
            }
            catch (Exception ex) when (DateTimeOffset.UtcNow < deadline && IsTransient(ex) && !cancellationToken.IsCancellationRequested)
            {
                await Console.Error.WriteLineAsync($"audit table not ready, retrying: {ex.GetType().Name}: {ex.Message}");
                await Task.Delay(RetryDelay, cancellationToken);
            }
        }
    }

    /// <summary>
    /// Records that this claim's run started. A run whose audit row cannot be written is not allowed to "succeed"
    /// silently: it keeps retrying (a database restart is part of the chaos) until the row lands or the run is
    /// cancelled (lost lease, shutdown), in which case the audit correctly shows no run for this claim.
    /// </summary>
    public async Task RecordAsync(JobContext context, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                await InsertAsync(context, cancellationToken);
                return;
            }
            catch (Exception ex) when (IsTransient(ex) && !cancellationToken.IsCancellationRequested)
            {
                await Console.Error.WriteLineAsync($"audit insert for {context.JobName} failed, retrying: {ex.GetType().Name}: {ex.Message}");
                await Task.Delay(RetryDelay, cancellationToken);
            }
        }
    }

    protected abstract Task CreateTableAsync(CancellationToken cancellationToken);

    protected abstract Task InsertAsync(JobContext context, CancellationToken cancellationToken);

    protected abstract bool IsTransient(Exception exception);

    public abstract ValueTask DisposeAsync();
}

internal sealed class PostgresAuditWriter(string app, string connectionString) : AuditWriter(app)
{
    private readonly NpgsqlDataSource _dataSource = NpgsqlDataSource.Create(connectionString);

    protected override async Task CreateTableAsync(CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(AuditSql.PostgresCreate);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    protected override async Task InsertAsync(JobContext context, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(AuditSql.PostgresInsert);
        command.Parameters.AddWithValue("app", App);
        command.Parameters.AddWithValue("job", context.JobName);
        command.Parameters.AddWithValue("occurrence", context.ScheduledFor.UtcDateTime);
        command.Parameters.AddWithValue("node", context.NodeId);
        command.Parameters.AddWithValue("fence", context.FencingToken);
        command.Parameters.AddWithValue("attempt", context.Attempt);
        command.Parameters.AddWithValue("manual", context.IsManualTrigger);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    // Concurrent CREATE TABLE IF NOT EXISTS can still collide on the catalog (23505/42P07): retry, it then exists.
    protected override bool IsTransient(Exception exception) =>
        exception is NpgsqlException or TimeoutException or System.Net.Sockets.SocketException or IOException;

    public override ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}

internal sealed class SqliteAuditWriter(string app, string auditPath) : AuditWriter(app)
{
    private readonly string _connectionString = AuditSql.SqliteConnectionString(auditPath);

    protected override Task CreateTableAsync(CancellationToken cancellationToken) =>
        AuditSql.CreateSqliteTableAsync(_connectionString, cancellationToken);

    protected override async Task InsertAsync(JobContext context, CancellationToken cancellationToken)
    {
        await using var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = AuditSql.SqliteInsert;
        command.Parameters.AddWithValue("@app", App);
        command.Parameters.AddWithValue("@job", context.JobName);
        command.Parameters.AddWithValue("@occurrence", context.ScheduledFor.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("@node", context.NodeId);
        command.Parameters.AddWithValue("@fence", context.FencingToken);
        command.Parameters.AddWithValue("@attempt", context.Attempt);
        command.Parameters.AddWithValue("@manual", context.IsManualTrigger ? 1 : 0);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    // Busy beyond the command timeout is the only expected failure on one machine.
    protected override bool IsTransient(Exception exception) =>
        exception is SqliteException { SqliteErrorCode: 5 or 6 }; // SQLITE_BUSY, SQLITE_LOCKED

    public override ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        return ValueTask.CompletedTask;
    }
}
