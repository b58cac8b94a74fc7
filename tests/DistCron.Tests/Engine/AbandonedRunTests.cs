using DistCron.Storage;

namespace DistCron.Tests.Engine;

/// <summary>
/// The rule for a method that ignores its token past Timeout + grace (docs/design.md, "Timeout"): it is recorded as
/// timed out and the job's schedule moves on, so another node may run the next occurrence while the abandoned method
/// still runs; the abandoning node itself never starts the job again until the method returns.
/// </summary>
public sealed class AbandonedRunTests : EngineTestBase
{
    protected override EngineStoreFactory CreateStoreFactory() => new SqliteEngineStoreFactory();

    [Fact]
    public async Task The_next_occurrence_runs_elsewhere_while_the_abandoned_method_still_runs_and_never_on_its_node()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var startsOnA = 0;
        var stubborn = Job("stubborn", "* * * * * *", async (_, _) =>
        {
            if (Interlocked.Increment(ref startsOnA) == 1) await release.Task; // ignores its token on purpose
        }, timeout: TimeSpan.FromMilliseconds(200));
        var polite = Job("stubborn", "* * * * * *", (_, _) => Task.CompletedTask, timeout: TimeSpan.FromMilliseconds(200));

        await StartNodeAsync([stubborn], o => o.NodeId = "node-a");
        await WaitUntilAsync(async () => (await HistoryAsync("stubborn")).Any(r => r.Status == RunStatus.TimedOut), "node A abandons its run");
        await StartNodeAsync([polite], o => o.NodeId = "node-b");

        try
        {
            await WaitUntilAsync(async () => (await HistoryAsync("stubborn")).Count(r => r.NodeId == "node-b") >= 2,
                "node B runs the next occurrences while A's method is still running");
            Assert.False(release.Task.IsCompleted);
            Assert.Equal(1, Volatile.Read(ref startsOnA)); // A excluded the job while its abandoned method ran
            var history = await HistoryAsync("stubborn");
            Assert.Single(history, r => r.NodeId == "node-a");
            Assert.Equal(history.Count, history.Select(r => (r.OccurrenceAt, r.Attempt)).Distinct().Count()); // still once per occurrence
        }
        finally
        {
            release.TrySetResult();
        }
    }
}
