using Microsoft.Extensions.Logging;


namespace DistCron.Storage.Sqlite;

/// <summary>The SQLite store (placeholder until the store lands: same constructor, same contract).</summary>
public sealed class SqliteJobStore : IJobStore
{
    /// <summary>Creates the store over one database file (created if missing; WAL mode).</summary>
    public SqliteJobStore(string path, ILogger? logger = null)
    {
        _ = path;
        _ = logger;
        throw new NotImplementedException("SqliteJobStore is not implemented yet.");
    }

    /// <summary>The DDL that creates the schema, for DBAs who forbid DDL from applications.</summary>
    public static string GetSchemaSql() => throw new NotImplementedException();

    /// <inheritdoc />
    public string Kind => "sqlite";
    /// <inheritdoc />
    public Task MigrateAsync(CancellationToken cancellationToken) => throw new NotImplementedException();
    /// <inheritdoc />
    public Task<DateTimeOffset> GetDatabaseTimeAsync(CancellationToken cancellationToken) => throw new NotImplementedException();
    /// <inheritdoc />
    public Task SeedAsync(string app, IReadOnlyList<SeedJob> jobs, CancellationToken cancellationToken) => throw new NotImplementedException();
    /// <inheritdoc />
    public Task RegisterNodeAsync(NodeInfo node, TimeSpan liveWindow, CancellationToken cancellationToken) => throw new NotImplementedException();
    /// <inheritdoc />
    public Task UnregisterNodeAsync(string app, string nodeId, CancellationToken cancellationToken) => throw new NotImplementedException();
    /// <inheritdoc />
    public Task<ClaimBatch> ClaimDueAsync(string app, string nodeId, IReadOnlyCollection<string> jobNames, int maxJobs, TimeSpan lease, CancellationToken cancellationToken) => throw new NotImplementedException();
    /// <inheritdoc />
    public Task<bool> VerifyAsync(ClaimToken claim, CancellationToken cancellationToken) => throw new NotImplementedException();
    /// <inheritdoc />
    public Task<bool> HeartbeatAsync(ClaimToken claim, TimeSpan lease, CancellationToken cancellationToken) => throw new NotImplementedException();
    /// <inheritdoc />
    public Task<bool> CompleteAsync(Completion completion, CancellationToken cancellationToken) => throw new NotImplementedException();
    /// <inheritdoc />
    public Task<bool> ReleaseAsync(ClaimToken claim, CancellationToken cancellationToken) => throw new NotImplementedException();
    /// <inheritdoc />
    public Task MarkErroredAsync(ClaimToken claim, string reason, CancellationToken cancellationToken) => throw new NotImplementedException();
    /// <inheritdoc />
    public Task<IReadOnlyList<JobRow>> ListJobsAsync(string app, CancellationToken cancellationToken) => throw new NotImplementedException();
    /// <inheritdoc />
    public Task<IReadOnlyList<RunRecord>> GetHistoryAsync(string app, string jobName, int limit, CancellationToken cancellationToken) => throw new NotImplementedException();
    /// <inheritdoc />
    public Task<bool> WaitForSignalAsync(string app, TimeSpan timeout, CancellationToken cancellationToken) => throw new NotImplementedException();
    /// <inheritdoc />
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
