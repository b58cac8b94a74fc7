using DistCron.Engine;
using DistCron.Hosting;
using DistCron.Storage;
using DistCron.Storage.Sqlite;
using DistCron.Tests.Engine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace DistCron.Tests.Hosting;

/// <summary>
/// DistCron's health checks against real nodes and real stores, read through the host's own
/// <see cref="HealthCheckService"/> with the tag filters a liveness and a readiness endpoint use.
/// </summary>
public abstract class HealthCheckTests : EngineTestBase
{
    private const string Yearly = "0 0 1 1 *"; // never due during a test
    private static readonly CancellationToken Ct = CancellationToken.None;

    protected static Task<HealthReport> LiveAsync(IHost host) =>
        host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(r => r.Tags.Contains("live"));

    protected static Task<HealthReport> ReadyAsync(IHost host) =>
        host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(r => r.Tags.Contains("ready"));

    protected static void Probes(IServiceCollection services) => services.AddHealthChecks().AddDistCronLiveness().AddDistCronReadiness();

    [Fact]
    public async Task A_running_node_is_live_and_ready_and_each_endpoint_runs_only_its_own_check()
    {
        var host = await StartNodeAsync([Job("steady", Yearly, (_, _) => Task.CompletedTask)], services: Probes);
        var node = host.Services.GetRequiredService<NodeHealth>(); // the loop and the checks share one NodeHealth
        await WaitUntilAsync(() => node.Started, "the node's loop reports that it started");

        var live = await LiveAsync(host);
        Assert.Equal(HealthStatus.Healthy, live.Status);
        Assert.Equal(["distcron-live"], live.Entries.Keys);
        var ready = await ReadyAsync(host);
        Assert.Equal(HealthStatus.Healthy, ready.Status);
        Assert.Equal(["distcron-ready"], ready.Entries.Keys);
    }

    [Fact]
    public async Task Without_auto_migrate_on_a_missing_schema_readiness_fails_with_the_reason_and_liveness_holds()
    {
        var host = await StartNodeAsync([Job("steady", Yearly, (_, _) => Task.CompletedTask)], o => o.AutoMigrate = false, Probes);
        var node = host.Services.GetRequiredService<NodeHealth>();
        await WaitUntilAsync(() => node.CurrentStoreError is not null, "start-up fails on the missing schema");

        var ready = (await ReadyAsync(host)).Entries["distcron-ready"];
        Assert.Equal(HealthStatus.Unhealthy, ready.Status);
        Assert.Contains("has not finished starting", ready.Description);
        Assert.Contains(node.CurrentStoreError!, ready.Description);
        // Said as what it is (no schema, and what to apply), not as "store unavailable".
        Assert.True(ready.Description!.Contains("no DistCron schema"), ready.Description);
        Assert.Contains("'distcron sql", ready.Description);
        Assert.Contains("AutoMigrate", ready.Description);
        Assert.False(node.Started);
        Assert.Equal(HealthStatus.Healthy, (await LiveAsync(host)).Status); // restarting the pod would not create the schema
        var error = Assert.Single(Logs.Entries, e => e.EventId.Id == 80);
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Error, error.Level);
        Assert.False(Logs.Has(11), Logs.Dump()); // not "store unavailable"
    }

    [Fact]
    public async Task Failure_status_is_the_registrations_not_always_unhealthy()
    {
        var host = await StartNodeAsync([Job("steady", Yearly, (_, _) => Task.CompletedTask)], o => o.AutoMigrate = false,
            s => s.AddHealthChecks().AddDistCronReadiness(failureStatus: HealthStatus.Degraded));
        var node = host.Services.GetRequiredService<NodeHealth>();
        await WaitUntilAsync(() => node.CurrentStoreError is not null, "start-up fails on the missing schema");

        var ready = (await ReadyAsync(host)).Entries["distcron-ready"];
        Assert.Equal(HealthStatus.Degraded, ready.Status);
        Assert.Contains("has not finished starting", ready.Description);
    }

    [Fact]
    public async Task A_node_without_jobs_is_live_and_ready()
    {
        var host = await StartNodeAsync([], services: Probes);
        var node = host.Services.GetRequiredService<NodeHealth>();
        await WaitUntilAsync(() => node.HasNoJobs, "the loop found no jobs");
        Assert.Equal(HealthStatus.Healthy, (await LiveAsync(host)).Status);
        Assert.Equal(HealthStatus.Healthy, (await ReadyAsync(host)).Status);
    }

    [Fact]
    public async Task The_jobs_check_reports_overdue_and_errored_jobs_but_not_paused_ones_and_reads_at_most_once_per_interval()
    {
        var store = await InspectAsync();
        await PreSeedAsync(Job("late", Yearly, (_, _) => Task.CompletedTask), now => now.AddMinutes(-10));
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var check = new DistCronJobsHealthCheck(store, Options.Create(new DistCronOptions { App = App }), TimeSpan.FromMinutes(5),
            TimeSpan.FromMinutes(1), TimeSpan.FromSeconds(30), time);
        var context = Context(HealthStatus.Degraded);

        var result = await check.CheckHealthAsync(context);
        Assert.Equal(HealthStatus.Degraded, result.Status);
        Assert.Contains("late", result.Description);
        Assert.Equal(["late"], (string[])result.Data["overdue"]);

        Assert.True(await store.PauseAsync(App, "late", Ct));
        Assert.Equal(HealthStatus.Degraded, (await check.CheckHealthAsync(context)).Status); // the minute-old reading stands
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(HealthStatus.Healthy, (await check.CheckHealthAsync(context)).Status);

        Assert.True(await store.ResumeAsync(App, "late", null, Ct));
        var claim = Assert.Single((await store.ClaimDueAsync(App, "n1", ["late"], 1, TimeSpan.FromMinutes(1), Ct)).Claimed);
        await store.MarkErroredAsync(claim.Token, "unknown time zone 'Mars/Olympus'", Ct);
        time.Advance(TimeSpan.FromMinutes(1));
        result = await check.CheckHealthAsync(Context(HealthStatus.Unhealthy));
        Assert.Equal(HealthStatus.Unhealthy, result.Status); // the registration's failure status
        Assert.Contains("errored", result.Description);
    }

    [Fact]
    public async Task The_jobs_check_is_registered_once_per_container_so_its_reading_survives_between_runs()
    {
        var host = await StartNodeAsync([Job("steady", Yearly, (_, _) => Task.CompletedTask)],
            services: s => s.AddHealthChecks().AddDistCronJobs(minInterval: TimeSpan.FromHours(1)));
        var node = host.Services.GetRequiredService<NodeHealth>();
        await WaitUntilAsync(() => node.Started, "the node started");
        var health = host.Services.GetRequiredService<HealthCheckService>();
        var first = (await health.CheckHealthAsync()).Entries["distcron-jobs"];
        Assert.Equal(HealthStatus.Healthy, first.Status);
        Assert.Equal(1, first.Data["jobs"]);

        await PreSeedAsync(Job("late", Yearly, (_, _) => Task.CompletedTask), now => now.AddMinutes(-10));
        var second = (await health.CheckHealthAsync()).Entries["distcron-jobs"];
        Assert.Equal(1, second.Data["jobs"]); // the hour-old reading, not a new listing of every job
    }

    [Fact]
    public void Liveness_fails_only_after_the_loop_shows_no_sign_of_life_and_store_failures_count_as_life()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var node = new NodeHealth(time);
        var options = new DistCronOptions { App = App, PollInterval = TimeSpan.FromSeconds(5), LeaseDuration = TimeSpan.FromSeconds(30) };
        var check = new DistCronLivenessCheck(node, Options.Create(options));
        Assert.Equal(TimeSpan.FromSeconds(15 + 30 + 6), check.StallLimit);
        Assert.Equal(HealthStatus.Healthy, Check(check, HealthStatus.Unhealthy).Status);

        // A database outage during start-up: one failed attempt per backoff, each a sign of life.
        for (var attempt = 0; attempt < 5; attempt++)
        {
            time.Advance(TimeSpan.FromSeconds(6));
            node.StoreFailed("NpgsqlException: Failed to connect to 10.0.0.1:5432");
            var during = Check(check, HealthStatus.Unhealthy);
            Assert.Equal(HealthStatus.Healthy, during.Status);
            Assert.Contains("retrying", during.Description);
        }

        time.Advance(TimeSpan.FromSeconds(52));
        var stalled = Check(check, HealthStatus.Degraded);
        Assert.Equal(HealthStatus.Degraded, stalled.Status);
        Assert.Contains("start-up", stalled.Description);

        node.StartedUp();
        node.LoopIteration();
        node.StoreSucceeded();
        Assert.Equal(HealthStatus.Healthy, Check(check, HealthStatus.Unhealthy).Status);
        time.Advance(TimeSpan.FromSeconds(52));
        stalled = Check(check, HealthStatus.Unhealthy);
        Assert.Equal(HealthStatus.Unhealthy, stalled.Status);
        Assert.Contains("has not gone round", stalled.Description);
    }

    protected static HealthCheckContext Context(HealthStatus failureStatus) => new()
    {
        Registration = new HealthCheckRegistration("test", _ => throw new InvalidOperationException("not used"), failureStatus, tags: null),
    };

    private static HealthCheckResult Check(IHealthCheck check, HealthStatus failureStatus) =>
        check.CheckHealthAsync(Context(failureStatus)).GetAwaiter().GetResult();
}

public sealed class SqliteHealthCheckTests : HealthCheckTests
{
    protected override EngineStoreFactory CreateStoreFactory() => new SqliteEngineStoreFactory();

    [Fact]
    public async Task Without_auto_migrate_an_older_sqlite_file_keeps_readiness_failing_with_the_upgrade_to_apply_until_it_is_applied()
    {
        var path = ((SqliteEngineStoreFactory)Store).Path;
        await using (var current = new SqliteJobStore(path))
        {
            await current.MigrateAsync(CancellationToken.None);
        }

        // A file as a version-2 DistCron left it (before schedule_rev and everything after it).
        await SqlAsync(path, "ALTER TABLE jobs DROP COLUMN schedule_rev; ALTER TABLE jobs DROP COLUMN claimed_manual; ALTER TABLE jobs DROP COLUMN disabled; " +
            "ALTER TABLE jobs DROP COLUMN code_hash; DROP INDEX runs_by_finish; DROP INDEX jobs_pause_until; ALTER TABLE jobs DROP COLUMN pause_reason; " +
            "ALTER TABLE jobs DROP COLUMN pause_until; DROP TABLE audit; ALTER TABLE jobs DROP COLUMN declaring_type; ALTER TABLE jobs DROP COLUMN method_name; " +
            "ALTER TABLE jobs DROP COLUMN options; ALTER TABLE nodes DROP COLUMN library_version; ALTER TABLE nodes DROP COLUMN deployment_version; " +
            "ALTER TABLE nodes DROP COLUMN runtime; UPDATE schema_version SET version = 2;");
        var host = await StartNodeAsync([Job("steady", "0 0 1 1 *", (_, _) => Task.CompletedTask)], o => o.AutoMigrate = false, Probes);
        var node = host.Services.GetRequiredService<NodeHealth>();
        await WaitUntilAsync(() => node.CurrentStoreError is not null, "start-up fails on the older file");

        var ready = (await ReadyAsync(host)).Entries["distcron-ready"];
        Assert.Equal(HealthStatus.Unhealthy, ready.Status);
        Assert.Contains("SQLite schema is at version 2", ready.Description);
        Assert.Contains($"needs version {SqliteSchema.CurrentVersion}", ready.Description);
        Assert.Equal(HealthStatus.Healthy, (await LiveAsync(host)).Status);
        var error = Assert.Single(Logs.Entries, e => e.EventId.Id == 80);
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Error, error.Level);
        Assert.False(Logs.Has(11), Logs.Dump()); // not "store unavailable"

        // Exactly what the message says to apply, run on the file as sqlite3 would.
        const string Lead = "Apply to the file (e.g. with sqlite3): ";
        var start = error.Message.IndexOf(Lead, StringComparison.Ordinal) + Lead.Length;
        var upgrade = error.Message[start..(error.Message.IndexOf("COMMIT;", start, StringComparison.Ordinal) + "COMMIT;".Length)];
        Assert.StartsWith("BEGIN IMMEDIATE;", upgrade);
        Assert.Contains("ADD COLUMN schedule_rev", upgrade);
        await SqlAsync(path, upgrade);

        await WaitUntilAsync(async () => (await ReadyAsync(host)).Status == HealthStatus.Healthy, "the node starts once the file is current");
        Assert.True(node.Started);
        Assert.Contains(await (await InspectAsync()).ListJobsAsync(App, CancellationToken.None), j => j.Name == "steady"); // seeded by the node
    }

    private static async Task SqlAsync(string path, string sql)
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }
}
