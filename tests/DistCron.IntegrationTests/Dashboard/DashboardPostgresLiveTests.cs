using DistCron.Dashboard.Live;
using DistCron.Storage;
using DistCron.Storage.Postgres;
using DistCron.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace DistCron.Tests.Dashboard;

/// <summary>
/// On PostgreSQL the dashboard's live feed is woken by the store's LISTEN connection: every open stream of the process
/// shares one listener, a NOTIFY (a trigger) reaches all of them without polling, and observing a signal never takes it
/// from the node loop that waits on the same listener.
/// </summary>
public sealed class DashboardPostgresLiveTests : IAsyncLifetime
{
    private const string App = "dash-pg";
    private static readonly CancellationToken Ct = CancellationToken.None;
    private string _connectionString = null!;
    private NpgsqlDataSource _dataSource = null!;
    private PostgresJobStore _store = null!;

    public async Task InitializeAsync()
    {
        var server = await PostgresServer.SharedAsync();
        _connectionString = await server.CreateDatabaseAsync("dash");
        _dataSource = NpgsqlDataSource.Create(_connectionString);
        _store = new PostgresJobStore(_dataSource);
        await _store.MigrateAsync(Ct);
        var now = await _store.GetDatabaseTimeAsync(Ct);
        await _store.SeedAsync(App, [new SeedJob("nightly", "0 3 * * *", "UTC", "h1", now.AddHours(1))], Ct);
    }

    [Fact]
    public async Task Two_open_streams_share_one_listen_connection_and_a_trigger_reaches_both_without_polling()
    {
        // A poll interval far longer than the test: only the store's NOTIFY can deliver the event in time.
        await using var host = await DashboardHost.StartAsync(SqliteFiles.NewDatabasePath(), App,
            web => Microsoft.AspNetCore.Builder.AuthorizationEndpointConventionBuilderExtensions.AllowAnonymous(
                Microsoft.AspNetCore.Builder.DashboardEndpointRouteBuilderExtensions.MapDistCronDashboard(web, "/distcron", o => o.PollInterval = TimeSpan.FromMinutes(10))),
            configure: builder => builder.Services.AddSingleton<IDistCronClient>(_ => DistCronClient.ForPostgres(_connectionString, app: App)));
        var client = host.Services.GetRequiredService<IDistCronClient>();
        var feed = ChangeFeed.For(client, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1), NullLogger.Instance);
        Assert.True(feed.UsesStoreSignals);

        using var first = await DashboardEventsTests.EventReader.OpenAsync(host);
        using var second = await DashboardEventsTests.EventReader.OpenAsync(host);
        await Eventually.TrueAsync(async () => await ListenConnectionsAsync() == 1, "the feed's LISTEN connection is up", TimeSpan.FromSeconds(30));
        // The listener's (re)connect is itself a signal (notifications may have been missed): let it pass.
        while (await first.NextEventAsync("changed", TimeSpan.FromSeconds(2))) { }
        while (await second.NextEventAsync("changed", TimeSpan.FromMilliseconds(200))) { }

        Assert.True(await _store.TriggerAsync(App, "nightly", Ct));
        Assert.True(await first.NextEventAsync("changed", TimeSpan.FromSeconds(20)), "the first stream got no event after a trigger");
        Assert.True(await second.NextEventAsync("changed", TimeSpan.FromSeconds(20)), "the second stream got no event after a trigger");
        Assert.Equal(1, await ListenConnectionsAsync());
    }

    [Fact]
    public async Task Observing_the_store_signal_does_not_consume_the_node_loops_pending_wake_up()
    {
        await using var dataSource = NpgsqlDataSource.Create(_connectionString);
        await using var store = new PostgresJobStore(dataSource);
        // The node loop's first wait starts the LISTEN connection; its connect signal is consumed here.
        await store.WaitForSignalAsync(App, TimeSpan.FromMilliseconds(100), Ct);
        await Eventually.TrueAsync(() => store.IsListening, "LISTEN is up", TimeSpan.FromSeconds(30));
        await store.WaitForSignalAsync(App, TimeSpan.FromMilliseconds(100), Ct);

        var observed = store.NextSignalAsync(App);
        Assert.True(await _store.TriggerAsync(App, "nightly", Ct));
        await observed.WaitAsync(TimeSpan.FromSeconds(20));
        // The dashboard saw the notification, and the node loop still has it pending.
        Assert.True(await store.WaitForSignalAsync(App, TimeSpan.Zero, Ct), "observing consumed the node loop's wake-up");
        Assert.False(await store.WaitForSignalAsync(App, TimeSpan.Zero, Ct));
    }

    private async Task<long> ListenConnectionsAsync()
    {
        await using var command = _dataSource.CreateCommand(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN %'");
        return (long)(await command.ExecuteScalarAsync())!;
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        await _dataSource.DisposeAsync();
    }
}
