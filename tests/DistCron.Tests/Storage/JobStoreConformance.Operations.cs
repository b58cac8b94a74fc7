using DistCron.Storage;

namespace DistCron.Tests.Storage;

/// <summary>Conformance of the operator actions: pause/resume, trigger now, history queries, retention, nodes.</summary>
public abstract partial class JobStoreConformance
{
    private static Completion Manual(ClaimedJob claim, DateTimeOffset? nextDue, RunStatus status = RunStatus.Succeeded) =>
        Done(claim, nextDue, status) with { IsManualTrigger = claim.IsManualTrigger };

    // ---------------------------------------------------------------- pause / resume

    [Fact]
    public async Task A_paused_job_is_never_claimed_and_resumes_at_the_given_due_time()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        await store.SeedAsync(App, [Job("a", now.AddSeconds(-5)), Job("b", now.AddSeconds(-5))], Ct);

        Assert.True(await store.PauseAsync(App, "a", Ct));
        Assert.True(await store.PauseAsync(App, "a", Ct)); // idempotent
        Assert.True((await RowAsync(store, "a")).Paused);

        var batch = await store.ClaimDueAsync(App, "n1", ["a", "b"], 10, LongLease, Ct);
        Assert.Equal("b", Assert.Single(batch.Claimed).Token.JobName);
        Assert.Equal(0, (await RowAsync(store, "a")).Fence);

        var resumeAt = now.AddSeconds(-1);
        Assert.True(await store.ResumeAsync(App, "a", resumeAt, Ct));
        var row = await RowAsync(store, "a");
        Assert.False(row.Paused);
        Assert.Equal(resumeAt, row.NextDueAt);
        Assert.Equal(resumeAt, row.OccurrenceAt);
        Assert.Equal(1, row.Attempt);

        var claim = Assert.Single((await store.ClaimDueAsync(App, "n1", ["a"], 10, LongLease, Ct)).Claimed);
        Assert.False(claim.IsManualTrigger);
        Assert.Equal(resumeAt, claim.OccurrenceAt);
    }

    [Fact]
    public async Task Resume_without_a_due_time_keeps_the_stored_one_and_never_touches_a_running_job()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        await store.SeedAsync(App, [Job("a", now.AddHours(1))], Ct);
        Assert.True(await store.PauseAsync(App, "a", Ct));

        Assert.True(await store.ResumeAsync(App, "a", null, Ct));
        var row = await RowAsync(store, "a");
        Assert.False(row.Paused);
        Assert.Equal(now.AddHours(1), row.NextDueAt);

        // Resuming a job that is not paused changes nothing (not even a due time passed by mistake).
        Assert.True(await store.ResumeAsync(App, "a", now.AddHours(5), Ct));
        Assert.Equal(now.AddHours(1), (await RowAsync(store, "a")).NextDueAt);
    }

    [Fact]
    public async Task Operator_actions_on_an_unknown_job_report_false_and_create_nothing()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        await store.SeedAsync("other-app", [Job("a", now.AddHours(1))], Ct);

        Assert.False(await store.PauseAsync(App, "a", Ct));
        Assert.False(await store.ResumeAsync(App, "a", now, Ct));
        Assert.False(await store.TriggerAsync(App, "a", Ct));
        Assert.Empty(await store.ListJobsAsync(App, Ct));
        var other = await RowAsync(store, "a", "other-app");
        Assert.False(other.Paused);
        Assert.Empty((await store.ClaimDueAsync("other-app", "n1", ["a"], 10, LongLease, Ct)).Claimed);
    }

    // ---------------------------------------------------------------- trigger now

    [Fact]
    public async Task A_trigger_runs_the_job_once_now_and_keeps_its_schedule()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        await store.SeedAsync(App, [Job("a", now.AddHours(1))], Ct);
        Assert.Empty((await store.ClaimDueAsync(App, "n1", ["a"], 10, LongLease, Ct)).Claimed);

        Assert.True(await store.TriggerAsync(App, "a", Ct));
        Assert.True(await store.TriggerAsync(App, "a", Ct)); // a second request before the run: still one run

        var claim = Assert.Single((await store.ClaimDueAsync(App, "n1", ["a"], 10, LongLease, Ct)).Claimed);
        Assert.True(claim.IsManualTrigger);
        Assert.Equal(1, claim.Attempt);
        CloseTo(now, claim.OccurrenceAt, TimeSpan.FromMinutes(1));
        Assert.Equal(claim.OccurrenceAt, claim.DueAt);

        // The engine passes the schedule's next values; a manual completion must ignore them.
        Assert.True(await store.CompleteAsync(Manual(claim, now.AddMinutes(7), RunStatus.Failed) with { NextAttempt = 2 }, Ct));

        var row = await RowAsync(store, "a");
        Assert.Equal(now.AddHours(1), row.NextDueAt);
        Assert.Equal(now.AddHours(1), row.OccurrenceAt);
        Assert.Equal(1, row.Attempt);
        Assert.Null(row.OwnerNode);
        Assert.Equal(RunStatus.Failed, row.LastStatus);

        var run = Assert.Single(await store.GetHistoryAsync(App, "a", 10, Ct));
        Assert.True(run.IsManualTrigger);
        Assert.Equal(claim.OccurrenceAt, run.OccurrenceAt);

        // The request was consumed: nothing more to claim until the schedule says so.
        var after = await store.ClaimDueAsync(App, "n1", ["a"], 10, LongLease, Ct);
        Assert.Empty(after.Claimed);
        Assert.Equal(now.AddHours(1), after.EarliestDueAt);
    }

    [Fact]
    public async Task A_trigger_runs_a_paused_job_once_and_it_stays_paused()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        await store.SeedAsync(App, [Job("a", now.AddSeconds(-5))], Ct);
        Assert.True(await store.PauseAsync(App, "a", Ct));
        Assert.True(await store.TriggerAsync(App, "a", Ct));

        var batch = await store.ClaimDueAsync(App, "n1", ["a"], 10, LongLease, Ct);
        var claim = Assert.Single(batch.Claimed);
        Assert.True(claim.IsManualTrigger); // due by its schedule too, but paused: the trigger is why it runs
        Assert.True(await store.CompleteAsync(Manual(claim, now.AddHours(1)), Ct));

        var row = await RowAsync(store, "a");
        Assert.True(row.Paused);
        Assert.Equal(now.AddSeconds(-5), row.NextDueAt);
        Assert.Empty((await store.ClaimDueAsync(App, "n1", ["a"], 10, LongLease, Ct)).Claimed);
        Assert.True(Assert.Single(await store.GetHistoryAsync(App, "a", 10, Ct)).IsManualTrigger);
    }

    [Fact]
    public async Task A_pending_trigger_makes_the_claim_report_now_as_the_earliest_due_time()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        await store.SeedAsync(App, [Job("a", now.AddHours(1)), Job("b", now.AddHours(2))], Ct);
        Assert.True(await store.TriggerAsync(App, "b", Ct));

        // Only one slot: "b" is claimed; then with "b" leased elsewhere the earliest is its lease end, not 2 h away.
        var other = await SameDatabaseAsync(store);
        var claim = Assert.Single((await other.ClaimDueAsync(App, "n2", ["b"], 1, LongLease, Ct)).Claimed);
        Assert.True(claim.IsManualTrigger);
        Assert.True(await store.TriggerAsync(App, "a", Ct));
        var batch = await store.ClaimDueAsync(App, "n1", ["a", "b"], 1, LongLease, Ct);
        Assert.Equal("a", Assert.Single(batch.Claimed).Token.JobName);
        Assert.NotNull(batch.EarliestDueAt);
        Assert.True(batch.EarliestDueAt <= claim.LeaseUntil, $"earliest {batch.EarliestDueAt:O} should be at most the lease end {claim.LeaseUntil:O}");
    }

    [Fact]
    public async Task A_regular_run_claimed_after_a_trigger_request_satisfies_it()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        await store.SeedAsync(App, [Job("a", now.AddSeconds(-5))], Ct);
        Assert.True(await store.TriggerAsync(App, "a", Ct));
        await DatabaseTimePassesAsync(store, now.AddMilliseconds(5)); // the claim's now() is after the request

        var claim = Assert.Single((await store.ClaimDueAsync(App, "n1", ["a"], 10, LongLease, Ct)).Claimed);
        Assert.False(claim.IsManualTrigger); // due by its schedule: a regular run
        Assert.Equal(now.AddSeconds(-5), claim.OccurrenceAt);
        Assert.True(await store.CompleteAsync(Done(claim, now.AddHours(1)), Ct));

        Assert.Equal(now.AddHours(1), (await RowAsync(store, "a")).NextDueAt);
        Assert.Empty((await store.ClaimDueAsync(App, "n1", ["a"], 10, LongLease, Ct)).Claimed);
        Assert.False(Assert.Single(await store.GetHistoryAsync(App, "a", 10, Ct)).IsManualTrigger);
    }

    [Fact]
    public async Task A_trigger_during_a_run_is_kept_for_the_next_claim()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        await store.SeedAsync(App, [Job("a", now.AddSeconds(-5))], Ct);
        var claim = Assert.Single((await store.ClaimDueAsync(App, "n1", ["a"], 10, LongLease, Ct)).Claimed);
        await DatabaseTimePassesAsync(store, claim.LeaseUntil - LongLease + TimeSpan.FromMilliseconds(5));

        Assert.True(await store.TriggerAsync(App, "a", Ct)); // requested while the regular run is in progress
        Assert.True(await store.CompleteAsync(Done(claim, now.AddHours(1)), Ct));

        var again = Assert.Single((await store.ClaimDueAsync(App, "n1", ["a"], 10, LongLease, Ct)).Claimed);
        Assert.True(again.IsManualTrigger);
    }

    [Fact]
    public async Task An_errored_job_is_not_run_by_a_trigger()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        await store.SeedAsync(App, [Job("a", now.AddSeconds(-5))], Ct);
        var claim = Assert.Single((await store.ClaimDueAsync(App, "n1", ["a"], 10, LongLease, Ct)).Claimed);
        await store.MarkErroredAsync(claim.Token, "bad schedule", Ct);

        Assert.True(await store.TriggerAsync(App, "a", Ct));
        Assert.Empty((await store.ClaimDueAsync(App, "n1", ["a"], 10, LongLease, Ct)).Claimed);
    }

    // ---------------------------------------------------------------- history queries

    private static async Task RunAsync(IJobStore store, string name, RunStatus status)
    {
        var now = await NowAsync(store);
        Assert.True(await store.ResumeAsync(App, name, null, Ct)); // exists
        await store.TriggerAsync(App, name, Ct);
        var claim = Assert.Single((await store.ClaimDueAsync(App, "n1", [name], 10, LongLease, Ct)).Claimed);
        Assert.True(await store.CompleteAsync(Manual(claim, now.AddHours(1), status), Ct));
    }

    [Fact]
    public async Task History_pages_by_id_newest_first_and_filters_by_job_and_status()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        await store.SeedAsync(App, [Job("a", now.AddHours(1)), Job("b", now.AddHours(1))], Ct);
        var statuses = new[] { RunStatus.Succeeded, RunStatus.Failed, RunStatus.Succeeded, RunStatus.TimedOut, RunStatus.Failed };
        foreach (var status in statuses) await RunAsync(store, "a", status);
        await RunAsync(store, "b", RunStatus.Failed);

        var first = await store.QueryHistoryAsync(App, "a", new HistoryQuery(Limit: 2), Ct);
        Assert.Equal([RunStatus.Failed, RunStatus.TimedOut], first.Select(r => r.Status));
        var second = await store.QueryHistoryAsync(App, "a", new HistoryQuery(Limit: 2, BeforeId: first[^1].Id), Ct);
        Assert.Equal([RunStatus.Succeeded, RunStatus.Failed], second.Select(r => r.Status));
        var third = await store.QueryHistoryAsync(App, "a", new HistoryQuery(Limit: 2, BeforeId: second[^1].Id), Ct);
        Assert.Equal([RunStatus.Succeeded], third.Select(r => r.Status));
        Assert.Empty(await store.QueryHistoryAsync(App, "a", new HistoryQuery(Limit: 2, BeforeId: third[^1].Id), Ct));
        var all = first.Concat(second).Concat(third).Select(r => r.Id).ToArray();
        Assert.Equal(all.OrderDescending(), all);

        var failed = await store.QueryHistoryAsync(App, "a", new HistoryQuery(Status: RunStatus.Failed), Ct);
        Assert.Equal(2, failed.Count);
        Assert.All(failed, r => Assert.Equal("a", r.JobName));

        var everyJob = await store.QueryHistoryAsync(App, null, new HistoryQuery(Status: RunStatus.Failed), Ct);
        Assert.Equal(["b", "a", "a"], everyJob.Select(r => r.JobName));
        Assert.Empty(await store.QueryHistoryAsync("other-app", null, new HistoryQuery(), Ct));

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => store.QueryHistoryAsync(App, "a", new HistoryQuery(Limit: 0), Ct));
    }

    // ---------------------------------------------------------------- retention

    [Fact]
    public async Task Pruning_by_count_keeps_the_newest_runs_of_each_job_in_small_batches()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        await store.SeedAsync(App, [Job("a", now.AddHours(1)), Job("b", now.AddHours(1))], Ct);
        for (var i = 0; i < 7; i++) await RunAsync(store, "a", RunStatus.Succeeded);
        for (var i = 0; i < 2; i++) await RunAsync(store, "b", RunStatus.Succeeded);
        var newestA = (await store.QueryHistoryAsync(App, "a", new HistoryQuery(Limit: 3), Ct)).Select(r => r.Id).ToArray();

        var deleted = await store.PruneHistoryAsync(App, maxAge: null, keepPerJob: 3, batchSize: 2, Ct);

        Assert.Equal(4, deleted);
        Assert.Equal(newestA, (await store.QueryHistoryAsync(App, "a", new HistoryQuery(), Ct)).Select(r => r.Id));
        Assert.Equal(2, (await store.QueryHistoryAsync(App, "b", new HistoryQuery(), Ct)).Count);
        Assert.Equal(0, await store.PruneHistoryAsync(App, null, 3, 2, Ct));
    }

    [Fact]
    public async Task Pruning_by_age_uses_the_database_clock_and_never_touches_jobs()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        await store.SeedAsync(App, [Job("a", now.AddHours(1))], Ct);
        for (var i = 0; i < 3; i++) await RunAsync(store, "a", RunStatus.Succeeded);
        var lastFinished = (await store.QueryHistoryAsync(App, "a", new HistoryQuery(Limit: 1), Ct))[0].FinishedAt;

        Assert.Equal(0, await store.PruneHistoryAsync(App, TimeSpan.FromHours(1), null, 100, Ct));

        await DatabaseTimePassesAsync(store, lastFinished.AddSeconds(2));
        await store.SeedAsync("other-app", [Job("a", now.AddHours(1))], Ct);
        Assert.Equal(3, await store.PruneHistoryAsync(App, TimeSpan.FromSeconds(1), null, 2, Ct));
        Assert.Empty(await store.GetHistoryAsync(App, "a", 10, Ct));
        Assert.Equal(now.AddHours(1), (await RowAsync(store, "a")).NextDueAt);
    }

    // ---------------------------------------------------------------- nodes

    [Fact]
    public async Task Nodes_are_listed_per_app_with_their_jobs_and_heartbeats()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        var window = TimeSpan.FromMinutes(1);
        await store.RegisterNodeAsync(new NodeInfo(App, "n1", "host1", 101, ["a", "b"]), window, Ct);
        await store.RegisterNodeAsync(new NodeInfo("other-app", "n2", "host2", 102, ["a"]), window, Ct);

        var node = Assert.Single(await store.ListNodesAsync(App, Ct));
        Assert.Equal("n1", node.NodeId);
        Assert.Equal("host1", node.Host);
        Assert.Equal(101, node.ProcessId);
        Assert.Equal(["a", "b"], node.JobNames.Order());
        CloseTo(now, node.HeartbeatAt, TimeSpan.FromMinutes(1));

        await store.UnregisterNodeAsync(App, "n1", Ct);
        Assert.Empty(await store.ListNodesAsync(App, Ct));
    }
}

/// <summary>Conformance of versioned seeds (rolling deploys).</summary>
public abstract partial class JobStoreConformance
{
    private static SeedJob Versioned(string name, DateTimeOffset due, string hash, string schedule, long? version) =>
        Job(name, due, hash, schedule) with { DefinitionVersion = version };

    [Fact]
    public async Task A_seed_from_an_older_deployment_never_overwrites_a_newer_definition()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        var v1 = Versioned("report", now.AddMinutes(5), "hash-v1", "*/5 * * * *", 1);
        var v2 = Versioned("report", now.AddHours(1), "hash-v2", "0 * * * *", 2);

        await store.SeedAsync(App, [v1], Ct);
        await store.SeedAsync(App, [v2], Ct); // the new version rolls out
        await store.SeedAsync(App, [v1], Ct); // an old node restarts during the deploy

        var row = await RowAsync(store, "report");
        Assert.Equal("hash-v2", row.DefinitionHash);
        Assert.Equal("0 * * * *", row.Schedule);
        Assert.Equal(now.AddHours(1), row.NextDueAt);

        // Same version, new hash (a hotfix rebuilt under one version number): the hash rule applies as before.
        await store.SeedAsync(App, [Versioned("report", now.AddHours(2), "hash-v2b", "0 */2 * * *", 2)], Ct);
        Assert.Equal("hash-v2b", (await RowAsync(store, "report")).DefinitionHash);
    }

    [Fact]
    public async Task Unversioned_rows_and_seeds_follow_the_hash_rule()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        await store.SeedAsync(App, [Versioned("a", now.AddMinutes(5), "old", "*/5 * * * *", null)], Ct);
        await store.SeedAsync(App, [Versioned("a", now.AddHours(1), "new", "0 * * * *", 7)], Ct); // a row written before versions existed
        Assert.Equal("new", (await RowAsync(store, "a")).DefinitionHash);

        await store.SeedAsync(App, [Versioned("a", now.AddHours(2), "unversioned", "0 */2 * * *", null)], Ct); // a node without the option
        Assert.Equal("unversioned", (await RowAsync(store, "a")).DefinitionHash);
    }

    [Fact]
    public async Task Concurrent_seeds_of_two_versions_leave_the_newer_definition()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        var others = new List<IJobStore>();
        for (var i = 0; i < 4; i++) others.Add(await SameDatabaseAsync(store));
        var names = Enumerable.Range(0, 20).Select(i => $"job{i:00}").ToArray();
        SeedJob[] Batch(long version) => names.Select(n => Versioned(n, now.AddHours(version), $"hash-{version}", "0 * * * *", version)).ToArray();

        await Task.WhenAll(others.Select((s, i) => Task.Run(() => s.SeedAsync(App, Batch(i % 2 == 0 ? 3 : 4), Ct))));
        await Task.WhenAll(others.Select((s, i) => Task.Run(() => s.SeedAsync(App, Batch(i % 2 == 0 ? 3 : 4), Ct))));
        await others[0].SeedAsync(App, Batch(3), Ct); // an old node that restarts last

        Assert.All(await store.ListJobsAsync(App, Ct), row => Assert.Equal("hash-4", row.DefinitionHash));
    }
}
