using System.Collections.Concurrent;
using DistCron.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace DistCron.Tests.Engine;

/// <summary>
/// <see cref="DistCronOptions.RunsJobs"/> = false: the node starts (migrates, seeds, registers) but never claims, never
/// prunes, and says so; the occurrences run on the nodes that run jobs.
/// </summary>
public abstract class NodesThatDoNotRunJobsTests : EngineTestBase
{
    private const int DoesNotRunJobsEvent = 50;

    // What a node that runs no job may ask of the store: start-up, its registration, and the change signal.
    private static readonly string[] StartAndRegisterCalls =
    [
        nameof(IJobStore.MigrateAsync), nameof(IJobStore.GetDatabaseTimeAsync), nameof(IJobStore.SeedAsync),
        nameof(IJobStore.RegisterNodeAsync), nameof(IJobStore.UnregisterNodeAsync), nameof(IJobStore.WaitForSignalAsync),
    ];

    [Fact]
    public async Task Sharing_a_database_with_a_node_that_runs_jobs_every_occurrence_runs_on_that_node()
    {
        var runs = new ConcurrentQueue<JobContext>();
        var job = Job("shared.every-second", "* * * * * *", (context, _) =>
        {
            runs.Enqueue(context);
            return Task.CompletedTask;
        });

        RecordingStore? observerStore = null;
        // The observer starts first: it seeds the row, and every occurrence from then on is due while it is live.
        var observer = await StartNodeAsync([job], o =>
        {
            o.NodeId = "laptop";
            o.RunsJobs = false;
            o.DecorateStore(store => observerStore = new RecordingStore(store));
        });
        await WaitUntilAsync(async () => (await (await InspectAsync()).ListJobsAsync(App, CancellationToken.None)).Any(), "the node that runs no job has seeded");
        var runner = await StartNodeAsync([job], o => o.NodeId = "server");

        await WaitUntilAsync(async () => (await HistoryAsync(job.Name)).Count(r => r.Status == RunStatus.Succeeded) >= 4, "four occurrences have run");
        var nodes = await (await InspectAsync()).ListNodesAsync(App, CancellationToken.None);
        await runner.StopAsync();
        await observer.StopAsync();

        var history = await HistoryAsync(job.Name);
        Assert.All(history, r => Assert.Equal("server", r.NodeId));
        Assert.All(runs, c => Assert.Equal("server", c.NodeId));
        Assert.Equal(history.Count, runs.Count);

        // Both are registered nodes with code for the job, so it is not orphaned; only one ever asked for a claim.
        Assert.Equal(["laptop", "server"], nodes.Select(n => n.NodeId).Order(StringComparer.Ordinal));
        Assert.All(nodes, n => Assert.Equal([job.Name], n.JobNames));
        Assert.All(observerStore!.Calls, call => Assert.Contains(call, StartAndRegisterCalls));
        Assert.Equal(1, observerStore.Count(nameof(IJobStore.SeedAsync)));
        var said = Assert.Single(Logs.Entries, e => e.EventId.Id == DoesNotRunJobsEvent);
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Information, said.Level);
        Assert.Contains("laptop", said.Message);
        Assert.Contains("does not run jobs (RunsJobs = false)", said.Message);
    }

    [Fact]
    public async Task Alone_it_leaves_due_jobs_unrun_its_readiness_says_it_runs_none_and_the_jobs_check_reports_them_overdue()
    {
        var ran = 0;
        var job = Job("alone.every-second", "* * * * * *", (_, _) =>
        {
            Interlocked.Increment(ref ran);
            return Task.CompletedTask;
        });

        RecordingStore? store = null;
        var observer = await StartNodeAsync([job],
            o =>
            {
                o.NodeId = "dashboard";
                o.RunsJobs = false;
                o.DecorateStore(inner => store = new RecordingStore(inner));
            },
            s => s.AddHealthChecks().AddDistCronReadiness().AddDistCronJobs(overdueThreshold: TimeSpan.FromSeconds(1), minInterval: TimeSpan.Zero));
        // Due for more than two seconds by the database's clock (several occurrences), and never claimed (a run
        // ends the wait too, and fails below).
        var inspector = await InspectAsync();
        await WaitUntilAsync(async () => (await inspector.ListJobsAsync(App, CancellationToken.None)).SingleOrDefault() is { } seeded
                                         && (seeded.NextDueAt < (await inspector.GetDatabaseTimeAsync(CancellationToken.None)) - TimeSpan.FromSeconds(2)
                                             || (await HistoryAsync(job.Name)).Count > 0),
            "the job is overdue");
        Assert.Empty(await HistoryAsync(job.Name));
        var row = await RowAsync(job.Name);
        Assert.Null(row.OwnerNode);
        Assert.False(row.Orphaned);
        Assert.Equal(0, Volatile.Read(ref ran));
        Assert.DoesNotContain(nameof(IJobStore.ClaimDueAsync), store!.Calls);
        Assert.DoesNotContain(nameof(IJobStore.PruneHistoryAsync), store.Calls);

        var report = await observer.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        var ready = report.Entries["distcron-ready"];
        Assert.Equal(HealthStatus.Healthy, ready.Status);
        Assert.Contains("it does not run jobs (RunsJobs = false): its jobs run only on nodes that do", ready.Description);
        Assert.Equal(false, ready.Data["runsJobs"]);
        var jobs = report.Entries["distcron-jobs"];
        Assert.Equal(HealthStatus.Degraded, jobs.Status);
        Assert.Contains("1 job(s) overdue", jobs.Description);
        Assert.Contains(job.Name, jobs.Description);
    }

    [Fact]
    public void Nodes_run_jobs_by_default() => Assert.True(new DistCronOptions().RunsJobs);
}

public sealed class SqliteNodesThatDoNotRunJobsTests : NodesThatDoNotRunJobsTests
{
    protected override EngineStoreFactory CreateStoreFactory() => new SqliteEngineStoreFactory();
}

public sealed class PostgresNodesThatDoNotRunJobsTests : NodesThatDoNotRunJobsTests
{
    protected override EngineStoreFactory CreateStoreFactory() => new PostgresEngineStoreFactory();
}
