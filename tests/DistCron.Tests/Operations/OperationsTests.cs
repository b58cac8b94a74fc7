using DistCron.Tests.Infrastructure;
using DistCron.Engine;
using DistCron.Hosting;
using DistCron.Storage;
using DistCron.Tests.Engine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace DistCron.Tests.Operations;

/// <summary>
/// Operating a running app, against real nodes and a real store: trigger now through the engine, the client API,
/// history retention in the loop (the health checks: Hosting/HealthCheckTests).
/// </summary>
public abstract class OperationsTests : EngineTestBase
{
    private const string Yearly = "0 0 1 1 *"; // never due during a test: only a trigger runs it
    private static readonly CancellationToken Ct = CancellationToken.None;

    private IDistCronClient Client(IJobStore store) => new DistCronClient(store, App);

    [Fact]
    public async Task Client_trigger_runs_the_job_once_as_a_manual_run_and_keeps_its_schedule()
    {
        var contexts = new List<JobContext>();
        var job = Job("report", Yearly, (context, _) =>
        {
            lock (contexts) contexts.Add(context);
            return Task.CompletedTask;
        });
        await InspectAsync(); // the schema exists before the client reads (the node migrates in the background)
        var host = await StartNodeAsync([job]);
        var client = host.Services.GetRequiredService<IDistCronClient>();
        await Eventually.TrueAsync(async () => (await client.ListJobsAsync()).Any(j => j.Name == "report"), "the node seeded its job");
        var before = await client.GetJobAsync("report");

        await client.TriggerAsync("report");
        await Eventually.TrueAsync(async () => (await HistoryAsync("report")).Count == 1, "the triggered run is recorded");

        var context = Assert.Single(contexts);
        Assert.True(context.IsManualTrigger);
        Assert.Equal(1, context.Attempt);
        var run = Assert.Single(await HistoryAsync("report"));
        Assert.True(run.IsManualTrigger);
        Assert.Equal(RunStatus.Succeeded, run.Status);
        var after = await RowAsync("report");
        Assert.Equal(before.NextDueAt, after.NextDueAt);
        Assert.Equal(before.OccurrenceAt, after.OccurrenceAt);
        Assert.Null(after.OwnerNode);
    }

    [Fact]
    public async Task Client_pause_and_resume_restart_the_schedule_after_database_now()
    {
        var store = await InspectAsync();
        var job = Job("every5", "*/5 * * * *", (_, _) => Task.CompletedTask);
        await PreSeedAsync(job, now => now.AddHours(-3)); // long overdue
        var client = Client(store);

        await client.PauseAsync("every5");
        Assert.True((await client.GetJobAsync("every5")).Paused);
        var dbNow = await store.GetDatabaseTimeAsync(Ct);
        var next = await client.ResumeAsync("every5");

        Assert.NotNull(next);
        Assert.True(next > dbNow && next <= dbNow.AddMinutes(5), $"next {next:O} should be the first 5-minute slot after {dbNow:O}");
        Assert.Equal(0, next.Value.Minute % 5);
        Assert.Equal(0, next.Value.Second);
        var row = await client.GetJobAsync("every5");
        Assert.False(row.Paused);
        Assert.Equal(next, row.NextDueAt);
        Assert.Equal(next, await client.ResumeAsync("every5")); // not paused: unchanged
    }

    [Fact]
    public async Task Client_reports_unknown_and_errored_jobs_clearly()
    {
        var store = await InspectAsync();
        var job = Job("known", Yearly, (_, _) => Task.CompletedTask);
        await PreSeedAsync(job, now => now.AddSeconds(-1));
        var client = Client(store);

        var missing = await Assert.ThrowsAsync<DistCronJobNotFoundException>(() => client.TriggerAsync("Known"));
        Assert.Contains("'Known'", missing.Message);
        await Assert.ThrowsAsync<DistCronJobNotFoundException>(() => client.PauseAsync("nope"));
        await Assert.ThrowsAsync<DistCronJobNotFoundException>(() => client.ResumeAsync("nope"));
        await Assert.ThrowsAsync<DistCronJobNotFoundException>(() => client.GetHistoryAsync("nope"));
        Assert.Empty(await client.GetHistoryAsync("known"));

        var claim = Assert.Single((await store.ClaimDueAsync(App, "n1", ["known"], 1, TimeSpan.FromMinutes(1), Ct)).Claimed);
        await store.MarkErroredAsync(claim.Token, "invalid schedule 'x'", Ct);
        var errored = await Assert.ThrowsAsync<InvalidOperationException>(() => client.TriggerAsync("known"));
        Assert.Contains("errored", errored.Message);
    }

    [Fact]
    public async Task An_idle_node_prunes_history_to_the_configured_runs_per_job()
    {
        var store = await InspectAsync();
        var job = Job("chatty", Yearly, (_, _) => Task.CompletedTask);
        await PreSeedAsync(job, now => now.AddDays(100));
        for (var i = 0; i < 6; i++)
        {
            Assert.True(await store.TriggerAsync(App, "chatty", Ct));
            var claim = Assert.Single((await store.ClaimDueAsync(App, "seeder", ["chatty"], 1, TimeSpan.FromMinutes(1), Ct)).Claimed);
            Assert.True(await store.CompleteAsync(new Completion(claim.Token, RunStatus.Succeeded, claim.OccurrenceAt, 1, null,
                TimeSpan.Zero, null, null, null, null, 1, IsManualTrigger: true), Ct));
        }

        var newest = (await HistoryAsync("chatty")).Take(2).Select(r => r.Id).ToArray();

        await StartNodeAsync([job], o =>
        {
            o.HistoryRetention.MaxRunsPerJob = 2;
            o.HistoryRetention.Interval = TimeSpan.FromSeconds(1);
        });

        await Eventually.TrueAsync(async () => (await HistoryAsync("chatty")).Count == 2, "the node pruned the history to 2 runs");
        Assert.Equal(newest, (await HistoryAsync("chatty")).Select(r => r.Id));
        // The prune logs after its delete commits: on a loaded machine the rows can be gone before the line is written.
        await Eventually.TrueAsync(() => Logs.Entries.Any(e => e.EventId.Id == 40 && e.Message.Contains("Pruned 4 run history row(s)", StringComparison.Ordinal)),
            "the prune's log line");
    }

    [Fact]
    public async Task A_node_prunes_soon_after_it_starts_not_one_interval_later_so_short_lived_nodes_prune_too()
    {
        var store = await InspectAsync();
        var job = Job("chatty", Yearly, (_, _) => Task.CompletedTask);
        await PreSeedAsync(job, now => now.AddDays(100));
        for (var i = 0; i < 3; i++)
        {
            Assert.True(await store.TriggerAsync(App, "chatty", Ct));
            var claim = Assert.Single((await store.ClaimDueAsync(App, "seeder", ["chatty"], 1, TimeSpan.FromMinutes(1), Ct)).Claimed);
            Assert.True(await store.CompleteAsync(new Completion(claim.Token, RunStatus.Succeeded, claim.OccurrenceAt, 1, null,
                TimeSpan.Zero, null, null, null, null, 1, IsManualTrigger: true), Ct));
        }

        // An interval of an hour: the old rule's first prune came an hour after start-up, so this node (stopped once it
        // pruned, or after the deadline) never pruned. The jitter puts this node at the start of its first-prune window.
        var host = await StartNodeAsync([job], o =>
        {
            o.HistoryRetention.MaxRunsPerJob = 1;
            o.HistoryRetention.Interval = TimeSpan.FromHours(1);
            o.HistoryRetention.FirstPruneJitter = 0;
        });

        await Eventually.TrueAsync(async () => (await HistoryAsync("chatty")).Count == 1, "the node pruned soon after it started");
        await Eventually.TrueAsync(() => Logs.Entries.Any(e => e.EventId.Id == 40 && e.Message.Contains("Pruned 2 run history row(s)", StringComparison.Ordinal)),
            "the prune's log line");
        await host.StopAsync();
    }

    [Fact]
    public async Task During_a_rolling_deploy_an_old_node_never_writes_back_its_older_definition()
    {
        var store = await InspectAsync();
        var v2 = Job("report", "0 * * * *", (_, _) => Task.CompletedTask);
        var v1 = Job("report", "*/5 * * * *", (_, _) => Task.CompletedTask);
        await StartNodeAsync([v2], o => o.DeploymentVersion = 2);
        await Eventually.TrueAsync(async () => (await store.ListJobsAsync(App, Ct)).Any(j => j.DefinitionHash == v2.DefinitionHash), "the new node seeded its definition");

        await StartNodeAsync([v1], o => o.DeploymentVersion = 1); // an old node (re)starts mid-deploy
        await Eventually.TrueAsync(async () => (await store.ListNodesAsync(App, Ct)).Count == 2, "the old node registered (after its seed)");

        var row = await RowAsync("report");
        Assert.Equal(v2.DefinitionHash, row.DefinitionHash);
        Assert.Equal("0 * * * *", row.Schedule);
    }
}

public sealed class SqliteOperationsTests : OperationsTests
{
    protected override EngineStoreFactory CreateStoreFactory() => new SqliteEngineStoreFactory();
}

public sealed class PostgresOperationsTests : OperationsTests
{
    protected override EngineStoreFactory CreateStoreFactory() => new PostgresEngineStoreFactory();
}
