using System.Collections.Concurrent;
using DistCron.Storage;
using DistCron.Storage.Postgres;
using DistCron.Tests.Infrastructure;
using Npgsql;

namespace DistCron.Tests.Storage;

/// <summary>
/// The conformance suite against a real PostgreSQL: the shared throwaway cluster, a fresh database per store from
/// <see cref="CreateFreshStoreAsync"/>, and a separate data source (own connection pool, like another node) per store.
/// </summary>
public sealed class PostgresJobStoreTests : JobStoreConformance
{
    private readonly ConcurrentDictionary<IJobStore, string> _connectionStrings = new();
    private readonly ConcurrentBag<NpgsqlDataSource> _dataSources = [];

    private protected override async Task<IJobStore> CreateFreshStoreAsync()
    {
        var server = await PostgresServer.SharedAsync();
        return await OpenAsync(await server.CreateDatabaseAsync("conf"));
    }

    private protected override Task<IJobStore> CreateStoreOnSameDatabaseAsync(IJobStore existing) => OpenAsync(_connectionStrings[existing]);

    private async Task<IJobStore> OpenAsync(string connectionString)
    {
        var dataSource = NpgsqlDataSource.Create(connectionString);
        _dataSources.Add(dataSource);
        var store = new PostgresJobStore(dataSource);
        await store.MigrateAsync(CancellationToken.None);
        _connectionStrings[store] = connectionString;
        return store;
    }

    private protected override async Task InsertRunAsync(IJobStore store, string app, string job, RunStatus status, TimeSpan finishedAgo, TimeSpan duration)
    {
        await using var connection = new NpgsqlConnection(_connectionStrings[store]);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            INSERT INTO distcron.runs (app, job_name, occurrence_at, attempt, node_id, fence, status, finished_at, duration_ms)
            VALUES (@app, @job, now(), 1, 'n', 1, @status, now() - @ago, @ms)
            """, connection);
        command.Parameters.AddWithValue("app", app);
        command.Parameters.AddWithValue("job", job);
        command.Parameters.AddWithValue("status", (short)status);
        command.Parameters.AddWithValue("ago", finishedAgo);
        command.Parameters.AddWithValue("ms", (long)duration.TotalMilliseconds);
        await command.ExecuteNonQueryAsync();
    }

    private protected override async Task<bool> ClaimedAtIsSetAsync(IJobStore store, string jobName)
    {
        await using var connection = new NpgsqlConnection(_connectionStrings[store]);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT claimed_at IS NOT NULL FROM distcron.jobs WHERE app = @app AND name = @name", connection);
        command.Parameters.AddWithValue("app", App);
        command.Parameters.AddWithValue("name", jobName);
        return (bool)(await command.ExecuteScalarAsync())!;
    }

    private protected override async Task<DateTimeOffset> UpdatedAtAsync(IJobStore store, string jobName)
    {
        await using var connection = new NpgsqlConnection(_connectionStrings[store]);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT updated_at FROM distcron.jobs WHERE app = @app AND name = @name", connection);
        command.Parameters.AddWithValue("app", App);
        command.Parameters.AddWithValue("name", jobName);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        return reader.GetFieldValue<DateTimeOffset>(0);
    }

    private protected override async Task BreakAuditTableAsync(IJobStore store)
    {
        await using var connection = new NpgsqlConnection(_connectionStrings[store]);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "ALTER TABLE distcron.audit RENAME TO audit_gone";
        await command.ExecuteNonQueryAsync();
    }

    protected override async Task DropDatabasesAsync()
    {
        // The databases go with the cluster at the end of the run; only the pools are closed here.
        foreach (var dataSource in _dataSources) await dataSource.DisposeAsync();
    }
}
