using DistCron.Storage;

namespace DistCron.Tests.Engine;

/// <summary>
/// The conditions the alert rules of docs/operations.md watch for, each produced on a real node over a real SQLite file
/// and read from the real instruments with a <see cref="System.Diagnostics.Metrics.MeterListener"/>.
/// </summary>
public sealed class AlertMetricsTests : EngineTestBase
{
    private const string Yearly = "0 0 1 1 *"; // never due during a test
    private const string EverySecond = "* * * * * *";

    protected override EngineStoreFactory CreateStoreFactory() => new SqliteEngineStoreFactory();

    private static double Single(MetricsReader metrics, string gauge, string job) =>
        metrics.Observe(gauge).Single(r => (string?)r["distcron.job.name"] == job).Value;

    // Alert "missed runs": time() - last success > N periods. A job that never succeeds, and one that was never due,
    // both have a series from the node's first claim, which stays where it is while the successful job's moves on.
    [Fact]
    public async Task A_job_that_never_succeeds_keeps_its_last_success_at_the_node_s_start_while_a_succeeding_one_moves_on()
    {
        var failing = Job("failing-" + App, EverySecond, (_, _) => throw new InvalidOperationException("always"));
        var healthy = Job("healthy-" + App, EverySecond, (_, _) => Task.CompletedTask);
        var idle = Job("idle-" + App, Yearly, (_, _) => Task.CompletedTask);
        var host = BuildNode([failing, healthy, idle]);
        using var metrics = new MetricsReader(host);
        Assert.Empty(metrics.Observe("distcron.job.last_success")); // nothing before the node claims
        await host.StartAsync();
        await WaitUntilAsync(() => metrics.Observe("distcron.job.last_success").Count == 3, "every job the node has code for has a series");
        var started = Single(metrics, "distcron.job.last_success", idle.Name);
        var firstSeen = metrics.Observe("distcron.node.last_seen").Single().Value;

        await WaitUntilAsync(async () => (await HistoryAsync(failing.Name)).Count >= 3, "three failed runs");
        await WaitUntilAsync(() => Single(metrics, "distcron.job.last_success", healthy.Name) > started, "the healthy job's success is reported");

        Assert.Equal(started, Single(metrics, "distcron.job.last_success", failing.Name));
        Assert.Equal(started, Single(metrics, "distcron.job.last_success", idle.Name));
        var success = (await HistoryAsync(healthy.Name)).Where(r => r.Status == RunStatus.Succeeded).Max(r => r.StartedAt!.Value);
        Assert.InRange(Single(metrics, "distcron.job.last_success", healthy.Name), success.ToUnixTimeMilliseconds() / 1000.0, double.MaxValue);

        // The loop keeps claiming: its gauge moves on (the silent-node alert's healthy case).
        await WaitUntilAsync(() => metrics.Observe("distcron.node.last_seen").Single().Value > firstSeen, "the node's last claim moves on");
        var claim = metrics.Observe("distcron.node.last_seen").Single();
        Assert.NotNull(claim["distcron.node.id"]);
    }

    // Alert "repeated failures": increase(distcron_run_failures_total[…]) by job.
    [Fact]
    public async Task Each_failed_run_counts_with_its_job_status_and_error_type_and_store_calls_are_timed_by_operation()
    {
        var failing = Job("failing-" + App, EverySecond, (_, _) => throw new InvalidOperationException("always"));
        var host = BuildNode([failing]);
        using var metrics = new MetricsReader(host);
        await host.StartAsync();
        await WaitUntilAsync(() => metrics.Sum("distcron.run.failures") >= 3, "three failures are counted");

        var failures = metrics.Recorded("distcron.run.failures");
        Assert.All(failures, f =>
        {
            Assert.Equal(failing.Name, f["distcron.job.name"]);
            Assert.Equal("Failed", f["distcron.run.status"]);
            Assert.Equal(typeof(InvalidOperationException).FullName, f["error.type"]);
        });
        Assert.All(metrics.Recorded("distcron.run.duration"), d => Assert.InRange(d.Value, 0, 10)); // seconds, not milliseconds
        Assert.Contains(metrics.Recorded("distcron.runs"), r => (string?)r["distcron.run.status"] == "Failed");

        var store = metrics.Recorded("distcron.store.operation.duration");
        foreach (var operation in new[] { "migrate", "time", "seed", "register", "claim", "verify", "complete" })
        {
            Assert.Contains(store, r => (string?)r["distcron.store.operation"] == operation && (string?)r["db.system.name"] == "sqlite" && r["error.type"] is null);
        }

        Assert.Equal(0, metrics.Sum("distcron.store.operation.errors"));
    }

    // Alert "stuck run": distcron_runs_oldest_age_seconds above a job's expected duration.
    [Fact]
    public async Task A_run_that_does_not_return_shows_as_active_and_its_age_grows()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stuck = Job("stuck-" + App, Yearly, async (_, _) =>
        {
            started.TrySetResult();
            await release.Task;
        });
        await PreSeedAsync(stuck, now => now);
        var host = BuildNode([stuck], o => o.MaxConcurrentJobs = 1);
        using var metrics = new MetricsReader(host);
        await host.StartAsync();
        await started.Task.WaitAsync(Deadline);
        var seen = metrics.Observe("distcron.node.last_seen").Single().Value;

        var active = Assert.Single(metrics.Observe("distcron.runs.active"));
        Assert.Equal(1, active.Value);
        var first = Assert.Single(metrics.Observe("distcron.runs.oldest.age"));
        Assert.Equal(stuck.Name, first["distcron.job.name"]);
        await WaitUntilAsync(() => metrics.Observe("distcron.runs.oldest.age").Single().Value > first.Value + 1, "the oldest run's age grows");

        // Its only slot busy, the node claims nothing, but it is not silent: its registration keeps it seen.
        await WaitUntilAsync(() => metrics.Observe("distcron.node.last_seen").Single().Value > seen + 1, "the saturated node is still seen");

        release.SetResult();
        await WaitUntilAsync(() => metrics.Observe("distcron.runs.active").Single().Value == 0, "the run ended");
        Assert.Empty(metrics.Observe("distcron.runs.oldest.age"));
    }

    // Alert "lease losses": increase(distcron_claims_lost_total[…]).
    [Fact]
    public async Task A_claim_taken_over_while_running_counts_as_lost_while_running()
    {
        var job = new RunOnceUntilCancelled("stolen-" + App);
        await PreSeedAsync(job.Definition, now => now);
        var host = BuildNode([job.Definition]);
        using var metrics = new MetricsReader(host);
        await host.StartAsync();
        await job.Running.WaitAsync(Deadline);

        await Store.StealClaimAsync(App, job.Definition.Name);
        await job.Cancelled.WaitAsync(Deadline); // the heartbeat found the fence moved
        await WaitUntilAsync(() => metrics.Sum("distcron.claims.lost") >= 1, "the lost claim is counted");

        var lost = Assert.Single(metrics.Recorded("distcron.claims.lost"));
        Assert.Equal(job.Definition.Name, lost["distcron.job.name"]);
        Assert.Equal("while_running", lost["distcron.claim.stage"]);
        Assert.Equal(0, metrics.Sum("distcron.heartbeat.failures")); // the heartbeat answered: the fence had moved
    }

    // Heartbeats that fail (the store down for one job's lease) are counted per job with their error type, as store
    // errors of the heartbeat operation too, and end in the claim lost when the lease runs out.
    [Fact]
    public async Task Failed_heartbeats_are_counted_and_end_in_a_lost_claim()
    {
        RecordingStore? recorder = null;
        var job = new RunOnceUntilCancelled("outage-" + App);
        await PreSeedAsync(job.Definition, now => now);
        var host = BuildNode([job.Definition], o => o.DecorateStore(store => recorder = new RecordingStore(store)));
        using var metrics = new MetricsReader(host);
        await host.StartAsync();
        await job.Running.WaitAsync(Deadline);
        recorder!.FailingHeartbeats = new InvalidOperationException("the database is down");
        await job.Cancelled.WaitAsync(Deadline);
        await WaitUntilAsync(() => metrics.Sum("distcron.claims.lost") >= 1, "the lost claim is counted");

        var failures = metrics.Recorded("distcron.heartbeat.failures");
        Assert.True(failures.Count >= 2, $"{failures.Count} heartbeat failure(s) counted");
        Assert.All(failures, f =>
        {
            Assert.Equal(job.Definition.Name, f["distcron.job.name"]);
            Assert.Equal(typeof(InvalidOperationException).FullName, f["error.type"]);
        });
        Assert.Equal(failures.Count, metrics.Sum("distcron.store.operation.errors", e => (string?)e["distcron.store.operation"] == "heartbeat"));
        Assert.Equal("while_running", Assert.Single(metrics.Recorded("distcron.claims.lost"))["distcron.claim.stage"]);
    }

    [Fact]
    public async Task Rows_deleted_by_retention_are_counted()
    {
        var job = Job("pruned-" + App, EverySecond, (_, _) => Task.CompletedTask);
        var host = BuildNode([job], o =>
        {
            o.HistoryRetention.MaxRunsPerJob = 1;
            o.HistoryRetention.Interval = TimeSpan.FromSeconds(1);
        });
        using var metrics = new MetricsReader(host);
        await host.StartAsync();
        await WaitUntilAsync(() => metrics.Sum("distcron.history.pruned") >= 2, "pruned rows are counted");
        Assert.True(metrics.Sum("distcron.runs") >= 3);
    }
}
