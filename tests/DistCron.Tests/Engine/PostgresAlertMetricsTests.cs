using DistCron.Tests.Infrastructure;

namespace DistCron.Tests.Engine;

/// <summary>The silent-node alert's condition on a real PostgreSQL server that stops.</summary>
public sealed class PostgresAlertMetricsTests : EngineTestBase
{
    protected override EngineStoreFactory CreateStoreFactory() => new PostgresEngineStoreFactory();

    // Alerts "silent node" (time() - distcron_node_last_seen_seconds) and "store errors"
    // (rate(distcron_store_operation_errors_total)).
    [Fact]
    public async Task With_the_database_down_the_node_s_last_seen_stays_put_and_store_errors_are_counted_by_operation()
    {
        await using var server = await PostgresServer.StartAsync();
        var connectionString = await server.CreateDatabaseAsync("silent");
        var host = BuildNode([Job("ticking", "* * * * * *", (_, _) => Task.CompletedTask)], o => o.UsePostgres(connectionString));
        using var metrics = new MetricsReader(host);
        await host.StartAsync();
        await WaitUntilAsync(() => metrics.Sum("distcron.runs") >= 1, "the node claims and runs");
        Assert.Equal(0, metrics.Sum("distcron.store.operation.errors"));

        await server.StopKeepingDataAsync();
        await WaitUntilAsync(() => metrics.Sum("distcron.store.operation.errors", e => (string?)e["distcron.store.operation"] == "claim") >= 1,
            "a failed claim is counted");
        var stopped = metrics.Observe("distcron.node.last_seen").Single().Value;
        var errors = metrics.Sum("distcron.store.operation.errors");
        // The loop retries (a claim, or the registration that falls due while nothing is claimed): each failure counts.
        await WaitUntilAsync(() => metrics.Sum("distcron.store.operation.errors") >= errors + 2, "the loop's next attempts fail too");

        Assert.Equal(stopped, metrics.Observe("distcron.node.last_seen").Single().Value);
        Assert.All(metrics.Recorded("distcron.store.operation.errors"), e =>
        {
            Assert.Equal("postgresql", e["db.system.name"]);
            Assert.False(string.IsNullOrEmpty((string?)e["error.type"]));
        });
        Assert.Contains(metrics.Recorded("distcron.store.operation.duration"), d => d["error.type"] is not null);
    }
}
