using Npgsql;

namespace DistCron.Tests.Infrastructure;

/// <summary>
/// xUnit class fixture: one fresh database on the shared test cluster per test class
/// (<c>IClassFixture&lt;PostgresDatabase&gt;</c>). Use <see cref="CreateDatabaseAsync"/> for a database per test.
/// </summary>
public sealed class PostgresDatabase : IAsyncLifetime
{
    private readonly List<NpgsqlDataSource> _dataSources = [];

    public PostgresServer Server { get; private set; } = null!;
    public string ConnectionString { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await PostgresServer.SharedAsync();
        ConnectionString = await Server.CreateDatabaseAsync("class");
    }

    /// <summary>A fresh database of its own (for tests that must not see other tests' rows).</summary>
    public Task<string> CreateDatabaseAsync(string hint = "t") => Server.CreateDatabaseAsync(hint);

    /// <summary>A data source disposed with the fixture; each call gives a separate pool (like a separate node).</summary>
    public NpgsqlDataSource CreateDataSource(string? connectionString = null)
    {
        var dataSource = NpgsqlDataSource.Create(connectionString ?? ConnectionString);
        lock (_dataSources) _dataSources.Add(dataSource);
        return dataSource;
    }

    public async Task DisposeAsync()
    {
        NpgsqlDataSource[] all;
        lock (_dataSources) all = [.. _dataSources];
        foreach (var dataSource in all) await dataSource.DisposeAsync();
    }
}
