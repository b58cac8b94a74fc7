using DistCron.Storage;

namespace DistCron.Tests.Storage;

// An orphaned job's restart: two services share an app, A's only node is down past the live window,
// B's registration flags A's jobs orphaned; when A restarts, its seed must not throw away what the job missed.
public abstract partial class JobStoreConformance
{
    private static readonly TimeSpan OrphanWindow = TimeSpan.FromMinutes(5);

    // B's node is the only live one and has no code for the jobs: they become orphaned.
    private static async Task OrphanAsync(IJobStore store, params string[] names)
    {
        await store.RegisterNodeAsync(new NodeInfo(App, "service-b", "host-b", 2, ["b-only"]), OrphanWindow, Ct);
        foreach (var name in names) Assert.True((await RowAsync(store, name)).Orphaned, $"{name} is orphaned");
    }

    [Fact]
    public async Task An_orphaned_job_restarted_with_the_same_definition_keeps_its_due_catch_up()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        // The occurrence A missed while down: due a minute ago, a RunOnce catch-up waiting to be claimed.
        await store.SeedAsync(App, [Job("a", now.AddMinutes(-1))], Ct);
        await OrphanAsync(store, "a");
        var before = await RowAsync(store, "a");

        // A restarts: its seed computes the next future occurrence as the first due time.
        await store.SeedAsync(App, [Job("a", now.AddHours(1))], Ct);

        var after = await RowAsync(store, "a");
        Assert.False(after.Orphaned);
        Assert.Equal(now.AddMinutes(-1), after.NextDueAt);
        Assert.Equal(now.AddMinutes(-1), after.OccurrenceAt);
        Assert.Equal(1, after.Attempt);
        Assert.Equal(before with { Orphaned = false }, after);
        var claim = Assert.Single((await store.ClaimDueAsync(App, "a-node", ["a"], 1, LongLease, Ct)).Claimed);
        Assert.Equal(now.AddMinutes(-1), claim.OccurrenceAt);
    }

    [Fact]
    public async Task An_orphaned_job_restarted_with_the_same_definition_keeps_its_pending_retry()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        var occurrence = now.AddSeconds(-1);
        await store.SeedAsync(App, [Job("a", occurrence)], Ct);
        var claim = Assert.Single((await store.ClaimDueAsync(App, "a-node", ["a"], 1, LongLease, Ct)).Claimed);
        Assert.True(await store.CompleteAsync(Done(claim, now.AddMinutes(2), RunStatus.Failed, nextAttempt: 2,
            nextOccurrence: occurrence, errorType: "E", errorMessage: "boom"), Ct));
        await OrphanAsync(store, "a");

        await store.SeedAsync(App, [Job("a", now.AddHours(1))], Ct);

        var row = await RowAsync(store, "a");
        Assert.False(row.Orphaned);
        Assert.Equal(now.AddMinutes(2), row.NextDueAt);
        Assert.Equal(occurrence, row.OccurrenceAt);
        Assert.Equal(2, row.Attempt);
    }

    [Fact]
    public async Task An_orphaned_job_restarted_with_a_new_definition_takes_the_new_due_time()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        await store.SeedAsync(App, [Job("a", now.AddMinutes(-1), "h1")], Ct);
        await OrphanAsync(store, "a");

        await store.SeedAsync(App, [Job("a", now.AddHours(1), "h2", "0 * * * *")], Ct);

        var row = await RowAsync(store, "a");
        Assert.False(row.Orphaned);
        Assert.Equal("h2", row.DefinitionHash);
        Assert.Equal(now.AddHours(1), row.NextDueAt);
        Assert.Equal(now.AddHours(1), row.OccurrenceAt);
        Assert.Equal(1, row.Attempt);
    }
}
