using DistCron.Storage;

namespace DistCron.Tests.Storage;

// Removing a job whose code is gone (a deleted or renamed job stays orphaned forever otherwise), the apps listing the
// CLI uses for "no such app", and the job row's operator fields (trigger pending, last start, last duration).
public abstract partial class JobStoreConformance
{
    private static readonly TimeSpan RemoveLiveWindow = TimeSpan.FromMinutes(5);

    private static async Task RecordRunAsync(IJobStore store, string name, string app = App)
    {
        Assert.True(await store.TriggerAsync(app, name, Ct));
        var claim = Assert.Single((await store.ClaimDueAsync(app, "runner", [name], 1, LongLease, Ct)).Claimed);
        Assert.True(await store.CompleteAsync(Done(claim, claim.DueAt) with { IsManualTrigger = true }, Ct));
    }

    [Fact]
    public async Task Remove_deletes_a_job_no_live_node_has_code_for_and_keeps_its_history_unless_asked()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        await store.SeedAsync(App, [Job("gone", now.AddHours(1)), Job("kept", now.AddHours(1))], Ct);
        await store.SeedAsync("other-app", [Job("gone", now.AddHours(1))], Ct);
        await RecordRunAsync(store, "gone");
        await RecordRunAsync(store, "kept");
        await RecordRunAsync(store, "gone", "other-app");
        // The only live node runs "kept": "gone" was deleted from the code.
        await store.RegisterNodeAsync(new NodeInfo(App, "node-1", "host", 1, ["kept"]), RemoveLiveWindow, Ct);

        var removal = await store.RemoveJobAsync(App, "gone", RemoveLiveWindow, deleteHistory: false, Ct);

        Assert.Equal(new JobRemoval(JobRemovalOutcome.Removed, [], 0), removal with { Nodes = [] });
        Assert.Empty(removal.Nodes);
        Assert.Equal(["kept"], (await store.ListJobsAsync(App, Ct)).Select(j => j.Name));
        Assert.Single(await store.QueryHistoryAsync(App, "gone", new HistoryQuery(), Ct));
        Assert.Single(await store.ListJobsAsync("other-app", Ct));
        Assert.Equal(JobRemovalOutcome.NotFound, (await store.RemoveJobAsync(App, "gone", RemoveLiveWindow, false, Ct)).Outcome);
    }

    [Fact]
    public async Task Remove_with_history_deletes_only_that_jobs_runs_in_that_app()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        await store.SeedAsync(App, [Job("gone", now.AddHours(1)), Job("kept", now.AddHours(1))], Ct);
        await store.SeedAsync("other-app", [Job("gone", now.AddHours(1))], Ct);
        await RecordRunAsync(store, "gone");
        await RecordRunAsync(store, "gone");
        await RecordRunAsync(store, "kept");
        await RecordRunAsync(store, "gone", "other-app");

        var removal = await store.RemoveJobAsync(App, "gone", RemoveLiveWindow, deleteHistory: true, Ct);

        Assert.Equal(JobRemovalOutcome.Removed, removal.Outcome);
        Assert.Equal(2, removal.RunsDeleted);
        Assert.Empty(await store.QueryHistoryAsync(App, "gone", new HistoryQuery(), Ct));
        Assert.Single(await store.QueryHistoryAsync(App, "kept", new HistoryQuery(), Ct));
        Assert.Single(await store.QueryHistoryAsync("other-app", "gone", new HistoryQuery(), Ct));
    }

    [Fact]
    public async Task Remove_refuses_a_job_a_live_node_has_code_for_and_allows_it_once_that_node_is_silent()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        await store.SeedAsync(App, [Job("a", now.AddHours(1))], Ct);
        await store.RegisterNodeAsync(new NodeInfo(App, "node-2", "host", 2, ["a", "b"]), RemoveLiveWindow, Ct);
        await store.RegisterNodeAsync(new NodeInfo(App, "node-1", "host", 1, ["a"]), RemoveLiveWindow, Ct);
        await store.RegisterNodeAsync(new NodeInfo("other-app", "node-3", "host", 3, ["x"]), RemoveLiveWindow, Ct);

        var refused = await store.RemoveJobAsync(App, "a", RemoveLiveWindow, deleteHistory: true, Ct);

        Assert.Equal(JobRemovalOutcome.LiveNodeHasCode, refused.Outcome);
        Assert.Equal(["node-1", "node-2"], refused.Nodes);
        Assert.Single(await store.ListJobsAsync(App, Ct));

        // The same nodes, judged with a window their heartbeats are older than: no longer live.
        var registered = (await store.ListNodesAsync(App, Ct)).Max(n => n.HeartbeatAt);
        await DatabaseTimePassesAsync(store, registered.AddMilliseconds(50));
        var removed = await store.RemoveJobAsync(App, "a", TimeSpan.FromMilliseconds(10), deleteHistory: false, Ct);
        Assert.Equal(JobRemovalOutcome.Removed, removed.Outcome);
        Assert.Empty(await store.ListJobsAsync(App, Ct));
    }

    [Fact]
    public async Task Remove_refuses_a_job_with_a_live_lease_and_allows_it_once_the_lease_lapsed()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        await store.SeedAsync(App, [Job("a", now.AddSeconds(-1))], Ct);
        var claim = Assert.Single((await store.ClaimDueAsync(App, "runner", ["a"], 1, ShortLease, Ct)).Claimed);

        var refused = await store.RemoveJobAsync(App, "a", RemoveLiveWindow, deleteHistory: false, Ct);

        Assert.Equal(new JobRemovalOutcome[] { JobRemovalOutcome.Claimed }, [refused.Outcome]);
        Assert.Equal(["runner"], refused.Nodes);
        Assert.Single(await store.ListJobsAsync(App, Ct));

        // A crashed runner's lease lapses: the row is removable, and the runner's late completion writes nothing.
        await DatabaseTimePassesAsync(store, claim.LeaseUntil);
        Assert.Equal(JobRemovalOutcome.Removed, (await store.RemoveJobAsync(App, "a", RemoveLiveWindow, false, Ct)).Outcome);
        Assert.False(await store.CompleteAsync(Done(claim, now.AddHours(1)), Ct));
        Assert.Empty(await store.ListJobsAsync(App, Ct));
    }

    [Fact]
    public async Task A_removed_job_seeded_again_comes_back_as_a_new_job()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        await store.SeedAsync(App, [Job("a", now.AddHours(1))], Ct);
        await store.PauseAsync(App, "a", Ct);
        Assert.Equal(JobRemovalOutcome.Removed, (await store.RemoveJobAsync(App, "a", RemoveLiveWindow, false, Ct)).Outcome);

        await store.SeedAsync(App, [Job("a", now.AddHours(2))], Ct);

        var row = await RowAsync(store, "a");
        Assert.False(row.Paused);
        Assert.Equal(now.AddHours(2), row.NextDueAt);
    }

    [Fact]
    public async Task Apps_lists_every_app_with_jobs_or_nodes_in_ordinal_order()
    {
        var store = await NewStoreAsync();
        Assert.Empty(await store.ListAppsAsync(Ct));
        var now = await NowAsync(store);
        await store.SeedAsync("b-app", [Job("a", now.AddHours(1))], Ct);
        await store.SeedAsync("B-app", [Job("a", now.AddHours(1))], Ct);
        await store.RegisterNodeAsync(new NodeInfo("nodes-only", "n", "host", 1, []), RemoveLiveWindow, Ct);

        Assert.Equal(["B-app", "b-app", "nodes-only"], await store.ListAppsAsync(Ct));
    }

    [Fact]
    public async Task A_job_row_shows_a_pending_trigger_and_the_last_runs_start_and_duration()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        await store.SeedAsync(App, [Job("a", now.AddHours(1))], Ct);
        var fresh = await RowAsync(store, "a");
        Assert.Null(fresh.TriggerRequestedAt);
        Assert.Null(fresh.LastStartedAt);
        Assert.Null(fresh.LastDuration);

        Assert.True(await store.TriggerAsync(App, "a", Ct));
        var triggered = await RowAsync(store, "a");
        Assert.NotNull(triggered.TriggerRequestedAt);
        Assert.InRange(triggered.TriggerRequestedAt!.Value, now.AddSeconds(-1), (await NowAsync(store)).AddSeconds(1));

        var claim = Assert.Single((await store.ClaimDueAsync(App, "runner", ["a"], 1, LongLease, Ct)).Claimed);
        Assert.True(await store.CompleteAsync(Done(claim, claim.DueAt) with { IsManualTrigger = true, StartedAt = now }, Ct));

        var done = await RowAsync(store, "a");
        Assert.Null(done.TriggerRequestedAt);
        Assert.Equal(now, done.LastStartedAt);
        Assert.Equal(TimeSpan.FromMilliseconds(1234), done.LastDuration);
    }
}
