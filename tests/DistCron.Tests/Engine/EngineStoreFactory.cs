using DistCron.Storage;
using DistCron.Storage.Postgres;
using DistCron.Storage.Sqlite;
using DistCron.Tests.Infrastructure;
using Npgsql;
using DistCron.Tests.Storage;
using Microsoft.Data.Sqlite;

namespace DistCron.Tests.Engine;

/// <summary>
/// One real database for one engine test, so the same engine tests run against every store. A dialect supplies how
/// nodes are pointed at it, a direct store handle for inspection, and the one raw SQL trick the tests need.
/// </summary>
public abstract class EngineStoreFactory : IAsyncDisposable
{
    /// <summary>Creates the database (before any node or inspection store uses it).</summary>
    public virtual Task InitializeAsync() => Task.CompletedTask;

    /// <summary>Points a node's options at this database.</summary>
    public abstract void Configure(DistCronOptions options);

    /// <summary>A migrated store over this database, owned by the caller, for seeding and inspection.</summary>
    internal abstract Task<IJobStore> OpenStoreAsync();

    /// <summary>Simulates another node taking over a claim: bumps the fence and changes the owner, behind the engine's back.</summary>
    public abstract Task StealClaimAsync(string app, string jobName);

    public abstract ValueTask DisposeAsync();
}

/// <summary>A fresh SQLite file per test.</summary>
public sealed class SqliteEngineStoreFactory : EngineStoreFactory
{
    public string Path { get; } = SqliteJobStoreTests.NewDatabasePath();

    public override void Configure(DistCronOptions options) => options.UseSqlite(Path);

    internal override async Task<IJobStore> OpenStoreAsync()
    {
        var store = new SqliteJobStore(Path);
        await store.MigrateAsync(CancellationToken.None);
        return store;
    }

    public override async Task StealClaimAsync(string app, string jobName)
    {
        await using var connection = new SqliteConnection($"Data Source={Path};Default Timeout=30");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "UPDATE jobs SET fence = fence + 1, owner_node = 'thief-node' WHERE app = $app AND name = $name AND owner_node IS NOT NULL";
        command.Parameters.AddWithValue("$app", app);
        command.Parameters.AddWithValue("$name", jobName);
        Assert.Equal(1, await command.ExecuteNonQueryAsync());
    }

    public override ValueTask DisposeAsync()
    {
        SqliteJobStoreTests.DeleteDatabase(Path);
        return ValueTask.CompletedTask;
    }
}

/// <summary>A fresh database per test on the shared throwaway PostgreSQL cluster; nodes use a connection string (owned data source).</summary>
public sealed class PostgresEngineStoreFactory : EngineStoreFactory
{
    private readonly List<NpgsqlDataSource> _dataSources = [];

    public string ConnectionString { get; private set; } = null!;

    public PostgresServer Server { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        Server = await PostgresServer.SharedAsync();
        ConnectionString = await Server.CreateDatabaseAsync("engine");
    }

    public override void Configure(DistCronOptions options) => options.UsePostgres(ConnectionString);

    internal override async Task<IJobStore> OpenStoreAsync()
    {
        var dataSource = NpgsqlDataSource.Create(ConnectionString);
        _dataSources.Add(dataSource);
        var store = new PostgresJobStore(dataSource);
        await store.MigrateAsync(CancellationToken.None);
        return store;
    }

    public override async Task StealClaimAsync(string app, string jobName)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "UPDATE distcron.jobs SET fence = fence + 1, owner_node = 'thief-node' WHERE app = @app AND name = @name AND owner_node IS NOT NULL", connection);
        command.Parameters.AddWithValue("app", app);
        command.Parameters.AddWithValue("name", jobName);
        Assert.Equal(1, await command.ExecuteNonQueryAsync());
    }

    public override async ValueTask DisposeAsync()
    {
        foreach (var dataSource in _dataSources) await dataSource.DisposeAsync();
    }
}
