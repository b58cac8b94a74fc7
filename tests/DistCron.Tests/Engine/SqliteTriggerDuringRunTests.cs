using Microsoft.Data.Sqlite;

namespace DistCron.Tests.Engine;

/// <summary>
/// SQLite stamps times in milliseconds, and a completion clears a trigger request at or before its claim
/// (<c>trigger_requested_at &lt;= claimed_at</c>): a request written after the claim but in the same millisecond was
/// cleared by that run's completion, and the requested run never happened.
/// </summary>
public sealed class SqliteTriggerDuringRunTests : EngineTestBase
{
    protected override EngineStoreFactory CreateStoreFactory() => new SqliteEngineStoreFactory();

    [Fact]
    public async Task A_trigger_written_in_the_claims_millisecond_still_gets_its_run()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var runs = new System.Collections.Concurrent.ConcurrentQueue<bool>();
        var job = Job("report", "0 0 1 1 *", async (ctx, _) =>
        {
            runs.Enqueue(ctx.IsManualTrigger);
            if (runs.Count == 1) await release.Task;
        });
        await PreSeedAsync(job, now => now);
        await StartNodeAsync([job]);
        await WaitUntilAsync(() => runs.Count == 1, "the scheduled run starts");

        // The same millisecond, made deterministic: the claim's stamp is moved to just ahead of SQLite's clock, so the
        // trigger written next reads a "now" no later than claimed_at, as a trigger in the claim's millisecond does.
        await using (var connection = new SqliteConnection($"Data Source={((SqliteEngineStoreFactory)Store).Path};Default Timeout=30"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "UPDATE jobs SET claimed_at = claimed_at + 2000 WHERE app = $app AND name = 'report' AND owner_node IS NOT NULL";
            command.Parameters.AddWithValue("$app", App);
            Assert.Equal(1, await command.ExecuteNonQueryAsync());
        }

        Assert.True(await (await InspectAsync()).TriggerAsync(App, "report", DistCron.Storage.OperatorAction.Unattributed, CancellationToken.None));
        release.SetResult();

        await WaitUntilAsync(() => runs.Count == 2, "the triggered run happens after the run in progress");
        Assert.Equal([false, true], runs);
    }
}
