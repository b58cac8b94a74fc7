using DistCron.Storage;

namespace DistCron.Tests.Engine;

/// <summary>
/// What a starting node writes for the dashboard, read back through the store as the standalone dashboard reads it
/// (no job code): each job's declaration and options, configuration overrides included, an <see cref="DistCronOptions.AddJob"/>
/// job's as such, and the node's library version, deployment version and runtime.
/// </summary>
public sealed class DeclarationFactsEngineTests : EngineTestBase
{
    protected override EngineStoreFactory CreateStoreFactory() => new SqliteEngineStoreFactory();

    [Fact]
    public async Task A_node_seeds_each_jobs_declaration_and_registers_its_versions()
    {
        var declared = Job("report", "0 3 * * *", static (_, _) => Task.CompletedTask, MisfirePolicy.Skip, TimeSpan.FromMinutes(2), TimeSpan.FromSeconds(10), 4);
        var host = await StartNodeAsync([declared], o =>
        {
            o.DeploymentVersion = 202612070300;
            o.AddJob("tenant-1.sync", "*/10 * * * * *", static (_, _, _) => Task.CompletedTask, timeout: TimeSpan.FromSeconds(5));
        }, settings: new Dictionary<string, string?> { ["DistCron:Jobs:report:MaxRetries"] = "6" });
        var store = await InspectAsync();
        await WaitUntilAsync(async () => (await store.ListJobsAsync(App, CancellationToken.None)).Count == 2
            && (await store.ListNodesAsync(App, CancellationToken.None)).Count == 1, "the node has seeded and registered");
        var jobs = await store.ListJobsAsync(App, CancellationToken.None);
        var nodes = await store.ListNodesAsync(App, CancellationToken.None);
        await host.StopAsync();

        var report = Assert.Single(jobs, j => j.Name == "report").Definition;
        Assert.Equal(new JobDefinitionInfo("DistCron.Tests.Engine.Jobs", "report", CronFormat.Standard, MisfirePolicy.Skip,
            TimeSpan.FromMinutes(2), TimeSpan.FromSeconds(10), 6) { OverriddenBy = ["DistCron:Jobs:report:MaxRetries"] }, report);

        var added = Assert.Single(jobs, j => j.Name == "tenant-1.sync").Definition;
        Assert.NotNull(added);
        Assert.True(added.IsAddedInCode);
        Assert.Equal((CronFormat.IncludeSeconds, TimeSpan.FromSeconds(5)), (added.Format, added.Timeout));

        var node = Assert.Single(nodes);
        Assert.Equal(NodeVersion.Library, node.LibraryVersion);
        Assert.DoesNotContain("+", node.LibraryVersion);
        Assert.Equal(202612070300, node.DeploymentVersion);
        Assert.Equal(System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription, node.Runtime);
    }
}
