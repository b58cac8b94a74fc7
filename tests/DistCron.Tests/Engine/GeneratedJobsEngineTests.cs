using System.Collections.Concurrent;
using DistCron.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace DistCron.Tests.Engine;

/// <summary>Jobs declared with <see cref="DistributedCronAttribute"/> in this assembly, registered by the source generator.</summary>
public static class GeneratedTestJobs
{
    public static readonly ConcurrentQueue<JobContext> Runs = new();

    [DistributedCron("* * * * * *", Name = "generated.tick")]
    public static void Tick(JobContext context) => Runs.Enqueue(context);
}

/// <summary>End to end: generated registration → AddDistCron without AddJobs → seeded, claimed, run, recorded.</summary>
public sealed class GeneratedJobsEngineTests : EngineTestBase
{
    protected override EngineStoreFactory CreateStoreFactory() => new SqliteEngineStoreFactory();

    [Fact]
    public async Task Generated_jobs_are_found_without_explicit_registration_and_run()
    {
        Assert.Contains(DistCronJobRegistry.GetAll(), d => d.Name == "generated.tick");
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddDistCron(o =>
        {
            Store.Configure(o);
            o.App = App;
            o.PollInterval = TimeSpan.FromMilliseconds(500);
            o.LeaseDuration = TimeSpan.FromSeconds(2);
            o.HeartbeatInterval = TimeSpan.FromMilliseconds(500);
        });
        await using var provider = services.BuildServiceProvider();
        var hosted = provider.GetServices<Microsoft.Extensions.Hosting.IHostedService>().Single();
        await hosted.StartAsync(CancellationToken.None);
        try
        {
            await WaitUntilAsync(async () => (await HistoryAsync("generated.tick")).Count >= 2, "the generated job runs twice");
        }
        finally
        {
            await hosted.StopAsync(CancellationToken.None);
        }

        var history = await HistoryAsync("generated.tick");
        Assert.All(history, r => Assert.Equal(RunStatus.Succeeded, r.Status));
        Assert.Contains(GeneratedTestJobs.Runs, c => c.JobName == "generated.tick" && history.Any(h => h.OccurrenceAt == c.ScheduledFor));
        var row = await RowAsync("generated.tick");
        Assert.Equal("* * * * * *", row.Schedule);
        Assert.Equal("UTC", row.TimeZone);
    }
}
