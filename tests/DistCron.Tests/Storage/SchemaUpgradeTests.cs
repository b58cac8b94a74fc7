using DistCron.Storage;
using DistCron.Storage.Postgres;
using DistCron.Storage.Sqlite;
using DistCron.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace DistCron.Tests.Storage;

/// <summary>
/// Migration 2 (jobs.definition_version) applied to a database left at version 1 by an earlier release: the version-1
/// state is recreated by dropping the column and lowering the marker, then the current store migrates it and keeps data.
/// </summary>
public sealed class SchemaUpgradeTests
{
    private static readonly CancellationToken Ct = CancellationToken.None;

    [Fact]
    public async Task A_version_1_sqlite_file_is_upgraded_in_place()
    {
        var path = SqliteJobStoreTests.NewDatabasePath();
        try
        {
            await using (var first = new SqliteJobStore(path))
            {
                await first.MigrateAsync(Ct);
                await first.SeedAsync("app", [new SeedJob("kept", "0 * * * *", "UTC", "h1", null)], Ct);
            }

            SqliteConnection.ClearAllPools();
            await using (var connection = new SqliteConnection($"Data Source={path}"))
            {
                await connection.OpenAsync();
                await using var downgrade = connection.CreateCommand();
                downgrade.CommandText = "ALTER TABLE jobs DROP COLUMN definition_version; UPDATE schema_version SET version = 1;";
                await downgrade.ExecuteNonQueryAsync();
            }

            SqliteConnection.ClearAllPools();
            await using var store = new SqliteJobStore(path);
            await store.MigrateAsync(Ct);
            await AssertUpgradedAsync(store);
        }
        finally
        {
            SqliteJobStoreTests.DeleteDatabase(path);
        }
    }

    [Fact]
    public async Task A_version_1_postgres_schema_is_upgraded_in_place()
    {
        var server = await PostgresServer.SharedAsync();
        var connectionString = await server.CreateDatabaseAsync("upgrade");
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using (var first = new PostgresJobStore(dataSource))
        {
            await first.MigrateAsync(Ct);
            await first.SeedAsync("app", [new SeedJob("kept", "0 * * * *", "UTC", "h1", null)], Ct);
        }

        await using (var downgrade = dataSource.CreateCommand("ALTER TABLE distcron.jobs DROP COLUMN definition_version; UPDATE distcron.schema_version SET version = 1;"))
        {
            await downgrade.ExecuteNonQueryAsync();
        }

        await using var store = new PostgresJobStore(dataSource);
        await store.MigrateAsync(Ct);
        await using var version = dataSource.CreateCommand("SELECT version FROM distcron.schema_version");
        Assert.Equal(2, (int)(await version.ExecuteScalarAsync())!);
        await AssertUpgradedAsync(store);
    }

    private static async Task AssertUpgradedAsync(IJobStore store)
    {
        Assert.Equal("h1", Assert.Single(await store.ListJobsAsync("app", Ct)).DefinitionHash);
        await store.SeedAsync("app", [new SeedJob("kept", "0 * * * *", "UTC", "h2", null, DefinitionVersion: 5)], Ct);
        await store.SeedAsync("app", [new SeedJob("kept", "0 * * * *", "UTC", "h1", null, DefinitionVersion: 4)], Ct);
        Assert.Equal("h2", Assert.Single(await store.ListJobsAsync("app", Ct)).DefinitionHash);
    }
}
