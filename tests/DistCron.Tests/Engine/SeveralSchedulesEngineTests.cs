using System.Collections.Concurrent;
using DistCron.Storage;

namespace DistCron.Tests.Engine;

/// <summary>A method with two <c>[DistributedCron]</c> attributes, registered by the source generator of this assembly.</summary>
public static class SeveralSchedulesTestJobs
{
    public const string EverySecond = "generated.several.every-second";
    public const string EveryOtherSecond = "generated.several.every-other-second";

    public static readonly ConcurrentQueue<JobContext> Runs = new();

    [DistributedCron("* * * * * *", Name = EverySecond)]
    [DistributedCron("*/2 * * * * *", Name = EveryOtherSecond, MaxRetries = 1)]
    public static void Run(JobContext context) => Runs.Enqueue(context);
}

/// <summary>End to end on a real SQLite file: each attribute of one method is a job of its own, and each run sees its name.</summary>
public sealed class SeveralSchedulesEngineTests : EngineTestBase
{
    protected override EngineStoreFactory CreateStoreFactory() => new SqliteEngineStoreFactory();

    [Fact]
    public async Task A_method_with_two_schedules_runs_as_two_jobs_and_each_run_sees_its_job_name()
    {
        var definitions = DistCronJobRegistry.GetAll().Where(d => d.DeclaringType == typeof(SeveralSchedulesTestJobs).FullName).OrderBy(d => d.Name, StringComparer.Ordinal).ToList();
        Assert.Equal(
            [(SeveralSchedulesTestJobs.EveryOtherSecond, "*/2 * * * * *", 1), (SeveralSchedulesTestJobs.EverySecond, "* * * * * *", 0)],
            definitions.Select(d => (d.Name, d.Schedule, d.MaxRetries)));
        Assert.All(definitions, d => Assert.Equal(nameof(SeveralSchedulesTestJobs.Run), d.MethodName));

        var node = await StartNodeAsync(definitions);
        await WaitUntilAsync(async () => (await HistoryAsync(SeveralSchedulesTestJobs.EverySecond)).Count >= 2
                                         && (await HistoryAsync(SeveralSchedulesTestJobs.EveryOtherSecond)).Count >= 2, "both jobs run twice");
        await node.StopAsync();

        var rows = (await (await InspectAsync()).ListJobsAsync(App, CancellationToken.None)).OrderBy(r => r.Name, StringComparer.Ordinal).ToList();
        Assert.Equal([(SeveralSchedulesTestJobs.EveryOtherSecond, "*/2 * * * * *"), (SeveralSchedulesTestJobs.EverySecond, "* * * * * *")],
            rows.Select(r => (r.Name, r.Schedule)));
        foreach (var name in new[] { SeveralSchedulesTestJobs.EverySecond, SeveralSchedulesTestJobs.EveryOtherSecond })
        {
            var history = await HistoryAsync(name);
            Assert.All(history, r => Assert.Equal(RunStatus.Succeeded, r.Status));
            // Every recorded run of this job was a call that saw this job's name, at this job's occurrence.
            var seen = SeveralSchedulesTestJobs.Runs.Where(c => c.JobName == name).Select(c => c.ScheduledFor).ToHashSet();
            Assert.All(history, r => Assert.Contains(r.OccurrenceAt, seen));
        }

        // The every-other-second job's occurrences are even seconds: its runs were not the every-second job's.
        Assert.All(await HistoryAsync(SeveralSchedulesTestJobs.EveryOtherSecond), r => Assert.Equal(0, r.OccurrenceAt.Second % 2));
    }
}
