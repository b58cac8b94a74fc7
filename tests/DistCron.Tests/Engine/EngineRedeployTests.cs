using DistCron.Storage;

namespace DistCron.Tests.Engine;

/// <summary>
/// A new definition seeded while a real node runs the job: the node's completion must carry the
/// schedule revision it claimed, so the new definition's due time survives it. The store-level interleavings are in
/// the conformance suite (JobStoreConformance.Redeploy.cs); this proves the engine passes the claim's revision on.
/// </summary>
public abstract class EngineRedeployTests : EngineTestBase
{
    [Fact]
    public async Task A_run_that_completes_after_a_redeploy_leaves_the_new_definitions_due_time()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var finish = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var job = Job("deploy", "0 0 1 1 *", async (_, token) =>
        {
            started.TrySetResult();
            await finish.Task.WaitAsync(token);
        });
        await PreSeedAsync(job, now => now.AddSeconds(-1));
        await StartNodeAsync([job]);
        await started.Task.WaitAsync(Deadline);

        // Release 2 is seeded while release 1's run is in flight.
        var store = await InspectAsync();
        var now = await store.GetDatabaseTimeAsync(CancellationToken.None);
        var newDue = DateTimeOffset.FromUnixTimeMilliseconds(now.AddDays(100).ToUnixTimeMilliseconds());
        await store.SeedAsync(App, [new SeedJob("deploy", "0 0 1 6 *", "UTC", "release-2", newDue)], CancellationToken.None);
        finish.TrySetResult();

        await WaitUntilAsync(async () => (await HistoryAsync("deploy")).Count == 1, "the release-1 run is recorded");
        var row = await RowAsync("deploy");
        Assert.Equal(RunStatus.Succeeded, row.LastStatus);
        Assert.Null(row.OwnerNode);
        Assert.Equal("0 0 1 6 *", row.Schedule);
        Assert.Equal(newDue, row.NextDueAt); // not release 1's next 1 January
        Assert.Equal(1, row.Attempt);
    }
}

public sealed class SqliteEngineRedeployTests : EngineRedeployTests
{
    protected override EngineStoreFactory CreateStoreFactory() => new SqliteEngineStoreFactory();
}

public sealed class PostgresEngineRedeployTests : EngineRedeployTests
{
    protected override EngineStoreFactory CreateStoreFactory() => new PostgresEngineStoreFactory();
}
