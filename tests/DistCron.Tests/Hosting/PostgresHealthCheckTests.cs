using System.Net;
using System.Net.Sockets;
using DistCron.Engine;
using DistCron.Hosting;
using DistCron.Storage.Postgres;
using DistCron.Tests.Engine;
using DistCron.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;

namespace DistCron.Tests.Hosting;

/// <summary>PostgreSQL outages as the probes see them: a server stopped and started, a port nobody answers on, a server that accepts and never replies.</summary>
public sealed class PostgresHealthCheckTests : HealthCheckTests
{
    protected override EngineStoreFactory CreateStoreFactory() => new PostgresEngineStoreFactory();

    [Fact]
    public async Task A_database_outage_fails_readiness_but_never_liveness_and_readiness_returns_with_the_database()
    {
        await using var server = await PostgresServer.StartAsync();
        var connectionString = await server.CreateDatabaseAsync("health");
        var host = await StartNodeAsync([Job("steady", "0 0 1 1 *", (_, _) => Task.CompletedTask)],
            o => o.UsePostgres(new NpgsqlConnectionStringBuilder(connectionString) { Timeout = 2 }.ConnectionString), Probes);
        var node = host.Services.GetRequiredService<NodeHealth>();
        await WaitUntilAsync(async () => (await ReadyAsync(host)).Status == HealthStatus.Healthy, "the node is ready");

        await server.StopKeepingDataAsync();
        try
        {
            var ready = (await ReadyAsync(host)).Entries["distcron-ready"];
            Assert.Equal(HealthStatus.Unhealthy, ready.Status);
            Assert.Contains("store", ready.Description);
            Assert.DoesNotContain(server.Password, ready.Description);

            // The loop keeps failing against the stopped server; liveness stays healthy through every failure.
            await WaitUntilAsync(async () =>
            {
                Assert.Equal(HealthStatus.Healthy, (await LiveAsync(host)).Status);
                return node.CurrentStoreError is not null;
            }, "the loop fails against the stopped server");
            Assert.Equal(HealthStatus.Healthy, (await LiveAsync(host)).Status);
            Assert.Equal(HealthStatus.Unhealthy, (await ReadyAsync(host)).Status);
        }
        finally
        {
            await server.StartAgainAsync();
        }

        await WaitUntilAsync(async () => (await ReadyAsync(host)).Status == HealthStatus.Healthy, "the node is ready again");
        Assert.Equal(HealthStatus.Healthy, (await LiveAsync(host)).Status);
    }

    [Fact]
    public async Task Without_auto_migrate_on_an_outdated_schema_readiness_fails_with_the_reason_until_the_schema_is_upgraded()
    {
        var factory = (PostgresEngineStoreFactory)Store;
        await InspectAsync(); // the current schema, then taken back to version 3 (before schedule_rev)
        await using (var connection = new NpgsqlConnection(factory.ConnectionString))
        {
            await connection.OpenAsync();
            await using var downgrade = new NpgsqlCommand(
                "ALTER TABLE distcron.jobs DROP COLUMN schedule_rev; UPDATE distcron.schema_version SET version = 3", connection);
            await downgrade.ExecuteNonQueryAsync();
        }

        var host = await StartNodeAsync([Job("steady", "0 0 1 1 *", (_, _) => Task.CompletedTask)], o => o.AutoMigrate = false, Probes);
        var node = host.Services.GetRequiredService<NodeHealth>();
        await WaitUntilAsync(() => node.CurrentStoreError is not null, "start-up fails on the outdated schema");

        var ready = (await ReadyAsync(host)).Entries["distcron-ready"];
        Assert.Equal(HealthStatus.Unhealthy, ready.Status);
        Assert.Contains("has not finished starting", ready.Description);
        // What the database has, what this build needs, and what to apply: not a column error from the seed.
        Assert.Contains("schema 'distcron' is at version 3", ready.Description);
        Assert.Contains($"needs version {PostgresSchema.LatestVersion}", ready.Description);
        Assert.Contains("'distcron sql --schema distcron'", ready.Description);
        Assert.Equal(HealthStatus.Healthy, (await LiveAsync(host)).Status);
        await Task.Delay(TimeSpan.FromSeconds(1.5)); // start-up retries: still not ready, and the error is said once
        Assert.Equal(HealthStatus.Unhealthy, (await ReadyAsync(host)).Status);
        Assert.False(node.Started);
        var error = Assert.Single(Logs.Entries, e => e.EventId.Id == 80);
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Error, error.Level);
        Assert.Contains("is at version 3", error.Message);
        Assert.False(Logs.Has(11), Logs.Dump()); // not "store unavailable"

        // What the message says to apply: the script 'distcron sql --schema distcron' prints.
        await using (var connection = new NpgsqlConnection(factory.ConnectionString))
        {
            await connection.OpenAsync();
            await using var apply = new NpgsqlCommand(PostgresJobStore.GetSchemaSql("distcron"), connection);
            await apply.ExecuteNonQueryAsync();
        }

        await WaitUntilAsync(async () => (await ReadyAsync(host)).Status == HealthStatus.Healthy, "the node starts once the schema is current");
    }

    [Fact]
    public async Task Readiness_answers_by_its_timeout_when_the_server_accepts_and_never_replies()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start(); // the kernel accepts connections into the backlog; nobody ever writes a byte
        var factory = (PostgresEngineStoreFactory)Store;
        var builder = new NpgsqlConnectionStringBuilder(factory.ConnectionString)
        {
            Port = ((IPEndPoint)silent.LocalEndpoint).Port, Timeout = 60, CommandTimeout = 60,
        };
        await using var dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
        await using var store = new PostgresJobStore(dataSource);
        var node = new NodeHealth();
        node.StartedUp();
        var check = new DistCronReadinessCheck(store, node, Options.Create(new DistCronOptions { App = App }), TimeSpan.FromMilliseconds(300));

        var result = await check.CheckHealthAsync(Context(HealthStatus.Unhealthy));

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Contains("did not answer within 300 ms", result.Description);
    }

    [Fact]
    public async Task Readiness_names_an_unreachable_store_and_never_shows_the_password()
    {
        var factory = (PostgresEngineStoreFactory)Store;
        var builder = new NpgsqlConnectionStringBuilder(factory.ConnectionString) { Port = PostgresServer.FreePort(), Password = "s3cret-pw", Timeout = 3 };
        await using var dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
        await using var store = new PostgresJobStore(dataSource);
        var node = new NodeHealth();
        node.StartedUp();
        var check = new DistCronReadinessCheck(store, node, Options.Create(new DistCronOptions { App = App }), TimeSpan.FromSeconds(30));

        var result = await check.CheckHealthAsync(Context(HealthStatus.Unhealthy));

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Contains("unreachable", result.Description);
        Assert.DoesNotContain("s3cret-pw", result.Description);
        Assert.Null(result.Exception);
    }
}
