using DistCron.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace DistCron.Tests.Engine;

/// <summary>
/// The shutdown deadline against a real store: every job still running is named with its occurrence, fence and lease
/// end; a job that honours its token releases its claim at once; one that ignores it is abandoned, its lease no longer
/// renewed; when the host stops waiting first the deadline is logged before the host's stop returns; a host timeout
/// too short for DistCron's stop is warned about at start-up.
/// </summary>
public abstract class EngineShutdownTests : EngineTestBase
{
    [Fact]
    public async Task At_the_deadline_running_jobs_are_named_the_cooperative_one_released_and_the_one_ignoring_its_token_keeps_a_lease_no_longer_renewed()
    {
        var cooperative = new RunOnceUntilCancelled("cooperative");
        var stubbornRunning = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var releaseStubborn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stubborn = Job("stubborn", "0 0 1 1 *", async (_, _) =>
        {
            stubbornRunning.TrySetResult();
            await releaseStubborn.Task; // ignores its token
        });
        try
        {
            await PreSeedAsync(cooperative.Definition, now => now);
            await PreSeedAsync(stubborn, now => now);
            var host = await StartNodeAsync([cooperative.Definition, stubborn], o => o.ShutdownTimeout = TimeSpan.FromMilliseconds(300));
            await WithinDeadline(cooperative.Running.ContinueWith(_ => true), "the cooperative job to start");
            await WithinDeadline(stubbornRunning.Task.ContinueWith(_ => true), "the stubborn job to start");

            await host.StopAsync(TimeSpan.FromSeconds(30));

            Assert.True(Logs.Has(17), "the shutdown timeout was reported\n" + Logs.Dump());
            var named = Logs.Entries.Where(e => e.EventId.Id == 60).ToDictionary(e => (string)e.Values["JobName"]!);
            Assert.Equal(["cooperative", "stubborn"], named.Keys.Order(StringComparer.Ordinal));

            // The cooperative job stopped when its token was cancelled: released under its fence, free for the fleet now.
            var released = await RowAsync("cooperative");
            Assert.Null(released.OwnerNode);
            Assert.Null(released.LeaseUntil);
            Assert.Empty(await HistoryAsync("cooperative"));

            // The stubborn one still runs in this process: named as abandoned, holding a lease that ends when the logs say.
            var abandoned = Assert.Single(Logs.Entries, e => e.EventId.Id == 61);
            Assert.Equal("stubborn", abandoned.Values["JobName"]);
            var held = await RowAsync("stubborn");
            Assert.NotNull(held.OwnerNode);
            Assert.Equal(held.Fence, (long)named["stubborn"].Values["Fence"]!);
            var loggedEnd = (DateTimeOffset)abandoned.Values["LeaseUntil"]!;
            Assert.Equal(loggedEnd, (DateTimeOffset)named["stubborn"].Values["LeaseUntil"]!);
            Assert.InRange((held.LeaseUntil!.Value - loggedEnd).Duration(), TimeSpan.Zero, TimeSpan.FromSeconds(1));

            // Not renewed any more, though the job still runs: the fleet takes the occurrence over when the log said.
            await Task.Delay(TimeSpan.FromSeconds(1)); // two heartbeat intervals
            Assert.Equal(held.LeaseUntil, (await RowAsync("stubborn")).LeaseUntil);
            Assert.Empty(await HistoryAsync("stubborn"));
        }
        finally
        {
            releaseStubborn.TrySetResult();
        }
    }

    [Fact]
    public async Task When_the_host_stops_waiting_first_the_deadline_is_logged_before_its_stop_returns()
    {
        var job = new RunOnceUntilCancelled("host-first");
        await PreSeedAsync(job.Definition, now => now);
        var host = await StartNodeAsync([job.Definition], o => o.ShutdownTimeout = TimeSpan.FromMinutes(5),
            s => s.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromMilliseconds(300)));
        await WithinDeadline(job.Running.ContinueWith(_ => true), "the job to start");

        await host.StopAsync();

        // Read the moment the host's stop returned: what is logged later never reaches a process that exits now.
        var logged = Logs.Entries.ToArray();
        Assert.Contains(logged, e => e.EventId.Id == 63);
        var named = Assert.Single(logged, e => e.EventId.Id == 60);
        Assert.Equal("host-first", named.Values["JobName"]);
        Assert.DoesNotContain(logged, e => e.EventId.Id == 17);
        await WithinDeadline(job.Cancelled.ContinueWith(_ => true), "the job's token to be cancelled");
        await WaitUntilAsync(async () => (await RowAsync("host-first")).OwnerNode is null, "the claim is released");
    }

    [Fact]
    public async Task A_host_timeout_shorter_than_DistCrons_stop_is_warned_about_at_start_up_with_what_to_set()
    {
        // The old defaults: DistCron's ShutdownTimeout equal to the host's.
        await StartNodeAsync([Job("warned", "0 0 1 1 *", (_, _) => Task.CompletedTask)], o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));

        var warning = Assert.Single(Logs.Entries, e => e.EventId.Id == 62);
        // 30 s, then the 2 s lease's abandon grace and a second, then 2 s of final writes.
        Assert.Equal(35_000L, warning.Values["NeededMs"]);
        Assert.Equal(30_000L, warning.Values["HostTimeoutMs"]);
        Assert.Contains("Set HostOptions.ShutdownTimeout to at least 35000 ms", warning.Message);
        Assert.Contains("lower DistCron's ShutdownTimeout to at most 25000 ms", warning.Message);
    }

    [Fact]
    public async Task A_host_timeout_that_fits_or_never_ends_is_not_warned_about()
    {
        await StartNodeAsync([Job("fits", "0 0 1 1 *", (_, _) => Task.CompletedTask)]); // 10 s in a 30 s host
        await StartNodeAsync([Job("forever", "0 0 1 1 *", (_, _) => Task.CompletedTask)], o => o.ShutdownTimeout = TimeSpan.FromMinutes(5),
            s => s.Configure<HostOptions>(o => o.ShutdownTimeout = Timeout.InfiniteTimeSpan));
        Assert.False(Logs.Has(62), Logs.Dump());
    }
}

public sealed class SqliteEngineShutdownTests : EngineShutdownTests
{
    protected override EngineStoreFactory CreateStoreFactory() => new SqliteEngineStoreFactory();
}

public sealed class PostgresEngineShutdownTests : EngineShutdownTests
{
    protected override EngineStoreFactory CreateStoreFactory() => new PostgresEngineStoreFactory();
}
