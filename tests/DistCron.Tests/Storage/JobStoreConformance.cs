using System.Collections.Concurrent;
using DistCron.Storage;
using DistCron.Tests.Infrastructure;

namespace DistCron.Tests.Storage;

/// <summary>
/// The one conformance suite every <see cref="IJobStore"/> must pass (the XML docs of <see cref="IJobStore"/> are the
/// spec). A dialect subclasses it once and supplies fresh databases; no test is copied per store.
/// </summary>
/// <remarks>
/// Times: every due time is derived from the store's own clock (<see cref="IJobStore.GetDatabaseTimeAsync"/>), and
/// values handed to the store are whole milliseconds (SQLite's resolution). Tests that need a lease to run out use
/// a 1 s lease and then wait for the CONDITION (with a generous deadline), never for a fixed time.
/// </remarks>
public abstract partial class JobStoreConformance : IAsyncLifetime
{
    protected const string App = "conformance";
    protected static readonly TimeSpan LongLease = TimeSpan.FromMinutes(5);
    protected static readonly TimeSpan ShortLease = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan ConditionDeadline = TimeSpan.FromSeconds(60);

    private readonly List<IJobStore> _stores = [];

    /// <summary>A migrated store over a FRESH, empty database (each call a new database).</summary>
    private protected abstract Task<IJobStore> CreateFreshStoreAsync();

    /// <summary>
    /// A second, independent store (own connections) over the SAME database as <paramref name="existing"/>, already
    /// migrated. Used for races between nodes.
    /// </summary>
    private protected abstract Task<IJobStore> CreateStoreOnSameDatabaseAsync(IJobStore existing);

    /// <summary>Releases the databases a subclass created; called after every store was disposed.</summary>
    protected virtual Task DropDatabasesAsync() => Task.CompletedTask;

    protected static CancellationToken Ct => CancellationToken.None;

    private protected async Task<IJobStore> NewStoreAsync()
    {
        var store = await CreateFreshStoreAsync();
        _stores.Add(store);
        return store;
    }

    private protected async Task<IJobStore> SameDatabaseAsync(IJobStore existing)
    {
        var store = await CreateStoreOnSameDatabaseAsync(existing);
        _stores.Add(store);
        return store;
    }

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync()
    {
        foreach (var store in _stores) await store.DisposeAsync();
        _stores.Clear();
        await DropDatabasesAsync();
    }

    // ---------------------------------------------------------------- helpers

    /// <summary>Whole milliseconds, UTC: the precision every store keeps exactly.</summary>
    protected static DateTimeOffset Ms(DateTimeOffset t) =>
        new(t.UtcTicks - t.UtcTicks % TimeSpan.TicksPerMillisecond, TimeSpan.Zero);

    private protected static async Task<DateTimeOffset> NowAsync(IJobStore store) => Ms(await store.GetDatabaseTimeAsync(Ct));

    private protected static SeedJob Job(string name, DateTimeOffset? due, string hash = "h1", string schedule = "*/5 * * * *", string timeZone = "UTC") =>
        new(name, schedule, timeZone, hash, due.HasValue ? Ms(due.Value) : null);

    private protected static async Task<JobRow> RowAsync(IJobStore store, string name, string app = App) =>
        Assert.Single(await store.ListJobsAsync(app, Ct), j => j.Name == name);

    private protected static Completion Done(ClaimedJob claim, DateTimeOffset? nextDue, RunStatus status = RunStatus.Succeeded,
        int nextAttempt = 1, DateTimeOffset? nextOccurrence = null, string? errorType = null, string? errorMessage = null) =>
        new(claim.Token, status, claim.OccurrenceAt, claim.Attempt, claim.DueAt, TimeSpan.FromMilliseconds(1234),
            errorType, errorMessage, nextDue.HasValue ? Ms(nextDue.Value) : null,
            (nextOccurrence ?? nextDue).HasValue ? Ms((nextOccurrence ?? nextDue)!.Value) : null, nextAttempt,
            ScheduleRevision: claim.ScheduleRevision);

    /// <summary>Waits until the database clock has passed <paramref name="instant"/>.</summary>
    private protected static Task DatabaseTimePassesAsync(IJobStore store, DateTimeOffset instant) =>
        Eventually.TrueAsync(async () => await store.GetDatabaseTimeAsync(Ct) > instant, $"database time passes {instant:O}", ConditionDeadline);

    private static void CloseTo(DateTimeOffset expected, DateTimeOffset? actual, TimeSpan tolerance)
    {
        Assert.NotNull(actual);
        Assert.True((actual.Value - expected).Duration() <= tolerance, $"expected ~{expected:O} ± {tolerance}, got {actual:O}");
    }

    // ---------------------------------------------------------------- migrate, clock, seed

    [Fact]
    public async Task Migrating_again_is_a_no_op_and_keeps_data()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        await store.SeedAsync(App, [Job("a", now.AddHours(1))], Ct);

        await store.MigrateAsync(Ct);
        await store.MigrateAsync(Ct);

        var row = await RowAsync(store, "a");
        Assert.Equal(now.AddHours(1), row.NextDueAt);
    }

    [Fact]
    public async Task Concurrent_migrations_on_one_database_do_not_fail()
    {
        var store = await NewStoreAsync();
        var others = new List<IJobStore>();
        for (var i = 0; i < 3; i++) others.Add(await SameDatabaseAsync(store));

        await Task.WhenAll(others.Select(s => Task.Run(() => s.MigrateAsync(Ct))).Append(store.MigrateAsync(Ct)));

        Assert.Empty(await store.ListJobsAsync(App, Ct));
    }

    [Fact]
    public async Task Database_time_is_utc_and_close_to_this_machine()
    {
        var store = await NewStoreAsync();
        var now = await store.GetDatabaseTimeAsync(Ct);
        Assert.Equal(TimeSpan.Zero, now.Offset);
        CloseTo(DateTimeOffset.UtcNow, now, TimeSpan.FromMinutes(5));
        Assert.Contains(store.Kind, new[] { "sqlite", "postgres" });
    }

    [Fact]
    public async Task Seed_inserts_new_rows_with_first_due_time()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);

        await store.SeedAsync(App, [Job("a", now.AddMinutes(1), "ha", "0 * * * *", "Europe/Paris"), Job("never", null)], Ct);

        var jobs = await store.ListJobsAsync(App, Ct);
        Assert.Equal(["a", "never"], jobs.Select(j => j.Name).Order());
        var a = jobs.Single(j => j.Name == "a");
        Assert.Equal("0 * * * *", a.Schedule);
        Assert.Equal("Europe/Paris", a.TimeZone);
        Assert.Equal("ha", a.DefinitionHash);
        Assert.Equal(now.AddMinutes(1), a.NextDueAt);
        Assert.Equal(now.AddMinutes(1), a.OccurrenceAt);
        Assert.Equal(1, a.Attempt);
        Assert.Null(a.OwnerNode);
        Assert.Equal(0, a.Fence);
        Assert.Null(a.LeaseUntil);
        Assert.False(a.Paused);
        Assert.False(a.Orphaned);
        Assert.Null(a.Error);
        Assert.Null(a.LastStatus);
        Assert.Null(jobs.Single(j => j.Name == "never").NextDueAt);
    }

    [Fact]
    public async Task Seeding_an_empty_batch_does_nothing()
    {
        var store = await NewStoreAsync();
        await store.SeedAsync(App, [], Ct);
        Assert.Empty(await store.ListJobsAsync(App, Ct));
    }

    [Fact]
    public async Task A_job_seeded_without_due_time_is_never_claimed()
    {
        var store = await NewStoreAsync();
        await store.SeedAsync(App, [Job("never", null)], Ct);

        var batch = await store.ClaimDueAsync(App, "n1", ["never"], 10, LongLease, Ct);

        Assert.Empty(batch.Claimed);
        Assert.Null(batch.EarliestDueAt);
    }

    [Fact]
    public async Task Reseeding_with_the_same_hash_leaves_due_time_attempt_and_fence_untouched()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        await store.SeedAsync(App, [Job("a", now.AddSeconds(-1))], Ct);
        var claim = Assert.Single((await store.ClaimDueAsync(App, "n1", ["a"], 1, LongLease, Ct)).Claimed);
        Assert.True(await store.CompleteAsync(Done(claim, now.AddMinutes(10), RunStatus.Failed, nextAttempt: 2,
            nextOccurrence: now.AddSeconds(-1), errorType: "E", errorMessage: "boom"), Ct));
        var before = await RowAsync(store, "a");

        await store.SeedAsync(App, [Job("a", now.AddHours(5))], Ct); // a restart computes a different first due time

        var after = await RowAsync(store, "a");
        Assert.Equal(before, after);
        Assert.Equal(now.AddMinutes(10), after.NextDueAt);
        Assert.Equal(2, after.Attempt);
        Assert.Equal(1, after.Fence);
    }

    [Fact]
    public async Task Reseeding_with_a_new_hash_updates_schedule_and_due_time_and_keeps_history()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        await store.SeedAsync(App, [Job("a", now.AddSeconds(-1), "h1", "* * * * *")], Ct);
        var claim = Assert.Single((await store.ClaimDueAsync(App, "n1", ["a"], 1, LongLease, Ct)).Claimed);
        Assert.True(await store.CompleteAsync(Done(claim, now.AddMinutes(3), RunStatus.Failed, nextAttempt: 2,
            nextOccurrence: now.AddSeconds(-1), errorType: "E", errorMessage: "boom"), Ct));

        await store.SeedAsync(App, [Job("a", now.AddHours(2), "h2", "0 */2 * * *", "Europe/Berlin")], Ct);

        var row = await RowAsync(store, "a");
        Assert.Equal("h2", row.DefinitionHash);
        Assert.Equal("0 */2 * * *", row.Schedule);
        Assert.Equal("Europe/Berlin", row.TimeZone);
        Assert.Equal(now.AddHours(2), row.NextDueAt);
        Assert.Equal(now.AddHours(2), row.OccurrenceAt);
        Assert.Equal(1, row.Attempt);
        Assert.True(row.Fence >= 1, "a fence never goes back");
        Assert.Single(await store.GetHistoryAsync(App, "a", 10, Ct));
    }

    [Fact]
    public async Task Concurrent_seeding_from_many_nodes_neither_fails_nor_duplicates()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        var nodes = new List<IJobStore> { store };
        for (var i = 0; i < 4; i++) nodes.Add(await SameDatabaseAsync(store));
        var batch = Enumerable.Range(0, 50).Select(i => Job($"job{i:00}", now.AddMinutes(i))).ToList();

        await Task.WhenAll(nodes.Select(n => Task.Run(() => n.SeedAsync(App, batch, Ct))));

        var jobs = await store.ListJobsAsync(App, Ct);
        Assert.Equal(batch.Select(b => b.Name), jobs.Select(j => j.Name).Order());
    }

    // ---------------------------------------------------------------- isolation

    [Fact]
    public async Task Two_apps_with_the_same_job_names_never_see_each_other()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        await store.SeedAsync("app-a", [Job("x", now.AddSeconds(-5), "ha"), Job("y", now.AddSeconds(-5), "ha")], Ct);
        await store.SeedAsync("app-b", [Job("x", now.AddSeconds(-5), "hb")], Ct);

        Assert.Equal(2, (await store.ListJobsAsync("app-a", Ct)).Count);
        Assert.Equal("hb", Assert.Single(await store.ListJobsAsync("app-b", Ct)).DefinitionHash);

        var claimB = Assert.Single((await store.ClaimDueAsync("app-b", "n1", ["x", "y"], 10, LongLease, Ct)).Claimed);
        Assert.Equal(new ClaimToken("app-b", "x", "n1", 1), claimB.Token);
        Assert.True(await store.CompleteAsync(Done(claimB, now.AddHours(1)), Ct));

        Assert.Empty(await store.GetHistoryAsync("app-a", "x", 10, Ct));
        Assert.Single(await store.GetHistoryAsync("app-b", "x", 10, Ct));
        var ax = await RowAsync(store, "x", "app-a");
        Assert.Null(ax.OwnerNode);
        Assert.Equal(0, ax.Fence);
        Assert.Equal(2, (await store.ClaimDueAsync("app-a", "n1", ["x", "y"], 10, LongLease, Ct)).Claimed.Count);
    }

    // ---------------------------------------------------------------- claim

    [Fact]
    public async Task Claim_takes_only_due_rows_and_reports_database_time_and_earliest_due()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        await store.SeedAsync(App, [Job("due", now.AddSeconds(-2)), Job("later", now.AddHours(1)), Job("latest", now.AddHours(2))], Ct);

        var batch = await store.ClaimDueAsync(App, "n1", ["due", "later", "latest"], 10, TimeSpan.FromHours(3), Ct);

        Assert.Equal("due", Assert.Single(batch.Claimed).Token.JobName);
        CloseTo(now, batch.DatabaseNow, TimeSpan.FromMinutes(1));
        Assert.Equal(now.AddHours(1), batch.EarliestDueAt);
    }

    [Fact]
    public async Task Excluded_names_are_never_claimed_and_unknown_ones_change_nothing()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        await store.SeedAsync(App, [Job("mine", now.AddSeconds(-2)), Job("not-mine", now.AddSeconds(-2))], Ct);

        var batch = await store.ClaimDueAsync(new ClaimRequest(App, "n1", 10, LongLease) { ExcludedNames = ["not-mine", "unknown"] }, Ct);
        Assert.Equal("mine", Assert.Single(batch.Claimed).Token.JobName);

        Assert.Empty((await store.ClaimDueAsync(new ClaimRequest(App, "n2", 10, LongLease) { ExcludedNames = ["not-mine"] }, Ct)).Claimed);
        Assert.Equal(0, (await RowAsync(store, "not-mine")).Fence);
    }

    [Fact]
    public async Task Claim_sets_owner_fence_plus_one_and_lease_and_returns_the_row()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        var due = now.AddSeconds(-3);
        await store.SeedAsync(App, [Job("a", due, "hash-a", "*/10 * * * * *", "Asia/Tokyo")], Ct);

        var batch = await store.ClaimDueAsync(App, "node-1", ["a"], 5, TimeSpan.FromSeconds(90), Ct);

        var claim = Assert.Single(batch.Claimed);
        Assert.Equal(new ClaimToken(App, "a", "node-1", 1), claim.Token);
        Assert.Equal(due, claim.OccurrenceAt);
        Assert.Equal(due, claim.DueAt);
        Assert.Equal(1, claim.Attempt);
        Assert.Equal("*/10 * * * * *", claim.Schedule);
        Assert.Equal("Asia/Tokyo", claim.TimeZone);
        Assert.Equal("hash-a", claim.DefinitionHash);
        Assert.False(claim.IsManualTrigger);
        CloseTo(batch.DatabaseNow + TimeSpan.FromSeconds(90), claim.LeaseUntil, TimeSpan.FromSeconds(1));

        var row = await RowAsync(store, "a");
        Assert.Equal("node-1", row.OwnerNode);
        Assert.Equal(1, row.Fence);
        Assert.Equal(claim.LeaseUntil, row.LeaseUntil);
        Assert.Equal(due, row.NextDueAt); // the due time stays until completion
    }

    [Fact]
    public async Task A_leased_row_is_not_claimed_again_by_anyone()
    {
        var store = await NewStoreAsync();
        var other = await SameDatabaseAsync(store);
        var now = await NowAsync(store);
        await store.SeedAsync(App, [Job("a", now.AddSeconds(-1))], Ct);
        Assert.Single((await store.ClaimDueAsync(App, "n1", ["a"], 1, TimeSpan.FromHours(1), Ct)).Claimed);

        Assert.Empty((await store.ClaimDueAsync(App, "n1", ["a"], 1, LongLease, Ct)).Claimed);
        var batch = await other.ClaimDueAsync(App, "n2", ["a"], 1, LongLease, Ct);

        Assert.Empty(batch.Claimed);
        // A leased row becomes claimable again no earlier than its lease end.
        var row = await RowAsync(store, "a");
        Assert.Equal(row.LeaseUntil, batch.EarliestDueAt);
        Assert.Equal(1, row.Fence);
    }

    [Fact]
    public async Task Claim_respects_max_jobs_and_takes_the_earliest_due_first()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        var names = Enumerable.Range(0, 5).Select(i => $"j{i}").ToList();
        await store.SeedAsync(App, names.Select((n, i) => Job(n, now.AddMinutes(-10 + i))).Reverse().ToList(), Ct);

        var first = await store.ClaimDueAsync(App, "n1", names, 2, LongLease, Ct);
        var second = await store.ClaimDueAsync(App, "n1", names, 10, LongLease, Ct);
        var third = await store.ClaimDueAsync(App, "n1", names, 10, LongLease, Ct);

        Assert.Equal(["j0", "j1"], first.Claimed.Select(c => c.Token.JobName).Order());
        Assert.Equal(["j2", "j3", "j4"], second.Claimed.Select(c => c.Token.JobName).Order());
        Assert.Empty(third.Claimed);
    }

    [Fact]
    public async Task Errored_rows_are_not_claimed_until_reseeded_with_a_new_definition()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        await store.SeedAsync(App, [Job("bad", now.AddSeconds(-1), "h1")], Ct);
        var claim = Assert.Single((await store.ClaimDueAsync(App, "n1", ["bad"], 1, ShortLease, Ct)).Claimed);

        await store.MarkErroredAsync(claim.Token, "unknown time zone 'Mars/Olympus'", Ct);

        var row = await RowAsync(store, "bad");
        Assert.Equal("unknown time zone 'Mars/Olympus'", row.Error);
        await DatabaseTimePassesAsync(store, claim.LeaseUntil);
        var batch = await store.ClaimDueAsync(App, "n2", ["bad"], 1, LongLease, Ct);
        Assert.Empty(batch.Claimed);
        Assert.Null(batch.EarliestDueAt);

        await store.SeedAsync(App, [Job("bad", now.AddSeconds(-1), "h2")], Ct);
        Assert.Null((await RowAsync(store, "bad")).Error);
        Assert.Single((await store.ClaimDueAsync(App, "n2", ["bad"], 1, LongLease, Ct)).Claimed);
    }

    // ---------------------------------------------------------------- verify, heartbeat

    [Fact]
    public async Task Verify_is_true_only_for_the_live_claim()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        await store.SeedAsync(App, [Job("a", now.AddSeconds(-1)), Job("b", now.AddSeconds(-1))], Ct);
        var batch = await store.ClaimDueAsync(App, "n1", ["a", "b"], 2, LongLease, Ct);
        var a = batch.Claimed.Single(c => c.Token.JobName == "a");
        var b = batch.Claimed.Single(c => c.Token.JobName == "b");

        Assert.True(await store.VerifyAsync(a.Token, Ct));
        Assert.False(await store.VerifyAsync(a.Token with { Fence = a.Token.Fence + 1 }, Ct));
        Assert.False(await store.VerifyAsync(a.Token with { Fence = a.Token.Fence - 1 }, Ct));
        Assert.False(await store.VerifyAsync(a.Token with { NodeId = "n2" }, Ct));
        Assert.False(await store.VerifyAsync(a.Token with { App = "other-app" }, Ct));
        Assert.False(await store.VerifyAsync(a.Token with { JobName = "missing" }, Ct));

        // Expired lease: false by the database clock, even though nobody else claimed it.
        Assert.True(await store.HeartbeatAsync(b.Token, ShortLease, Ct));
        var leaseEnd = (await RowAsync(store, "b")).LeaseUntil!.Value;
        await DatabaseTimePassesAsync(store, leaseEnd);
        Assert.False(await store.VerifyAsync(b.Token, Ct));
    }

    [Fact]
    public async Task A_claim_takes_any_due_job_of_the_app_except_the_excluded_ones_in_due_order()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        await store.SeedAsync(App, [Job("a", now.AddSeconds(-3)), Job("b", now.AddSeconds(-2)), Job("c", now.AddSeconds(-1)), Job("later", now.AddHours(1))], Ct);
        await store.SeedAsync("other", [Job("x", now.AddSeconds(-5))], Ct);

        var batch = await store.ClaimDueAsync(new ClaimRequest(App, "n1", 10, LongLease) { ExcludedNames = ["b"] }, Ct);

        Assert.Equal(["a", "c"], batch.Claimed.Select(c => c.Token.JobName)); // due order, b excluded
        Assert.Null((await RowAsync(store, "x", "other")).OwnerNode); // other apps untouched
        Assert.Null((await RowAsync(store, "b")).OwnerNode);
        Assert.Equal(Ms(now.AddHours(1)), Ms(batch.EarliestDueAt!.Value)); // an excluded job does not wake the node either
    }

    [Fact]
    public async Task A_claim_with_ahead_also_takes_jobs_due_within_that_window_and_reports_their_future_due_time()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        await store.SeedAsync(App, [Job("soon", now.AddSeconds(20)), Job("later", now.AddMinutes(10))], Ct);

        Assert.Empty((await store.ClaimDueAsync(App, "n1", ["soon", "later"], 5, LongLease, Ct)).Claimed); // not due yet
        var batch = await store.ClaimDueAsync(new ClaimRequest(App, "n1", 5, LongLease) { Ahead = TimeSpan.FromMinutes(1) }, Ct);

        var soon = Assert.Single(batch.Claimed);
        Assert.Equal("soon", soon.Token.JobName);
        Assert.Equal(Ms(now.AddSeconds(20)), Ms(soon.DueAt)); // in the future: the node starts it then
        Assert.Equal(Ms(now.AddSeconds(20)), Ms(soon.OccurrenceAt));
        Assert.False(soon.IsManualTrigger);
        Assert.Equal(Ms(now.AddMinutes(10)), Ms(batch.EarliestDueAt!.Value));
        Assert.True(await store.VerifyAsync(soon.Token, Ct));
    }

    [Fact]
    public async Task A_batch_of_completions_records_each_owned_claim_and_reports_each_lost_one_in_order()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        await store.SeedAsync(App, [Job("a", now.AddSeconds(-1)), Job("b", now.AddSeconds(-1)), Job("c", now.AddSeconds(-1))], Ct);
        var claims = (await store.ClaimDueAsync(App, "n1", ["a", "b", "c"], 3, LongLease, Ct)).Claimed.ToDictionary(c => c.Token.JobName);
        var next = now.AddHours(1);

        // Given out of name order, with b's claim lost (stale fence): the results follow the order given.
        var stale = claims["b"] with { Token = claims["b"].Token with { Fence = claims["b"].Token.Fence - 1 } };
        var results = await store.CompleteAsync([Done(claims["c"], next), Done(stale, next), Done(claims["a"], next)], Ct);

        Assert.Equal([true, false, true], results);
        Assert.Single(await store.GetHistoryAsync(App, "a", 10, Ct));
        Assert.Single(await store.GetHistoryAsync(App, "c", 10, Ct));
        Assert.Empty(await store.GetHistoryAsync(App, "b", 10, Ct));
        Assert.Equal(Ms(next), (await RowAsync(store, "a")).NextDueAt);
        Assert.Equal("n1", (await RowAsync(store, "b")).OwnerNode); // untouched: still leased to the real claim
        Assert.Empty(await store.CompleteAsync([], Ct));
    }

    [Fact]
    public async Task Verify_of_a_batch_returns_exactly_the_claims_still_owned()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        await store.SeedAsync(App, [Job("a", now.AddSeconds(-1)), Job("b", now.AddSeconds(-1)), Job("c", now.AddSeconds(-1))], Ct);
        var batch = await store.ClaimDueAsync(App, "n1", ["a", "b", "c"], 3, LongLease, Ct);
        var tokens = batch.Claimed.ToDictionary(c => c.Token.JobName, c => c.Token);

        Assert.Equal(tokens.Values.OrderBy(t => t.JobName), (await store.VerifyAsync(tokens.Values.ToArray(), Ct)).OrderBy(t => t.JobName));

        // b's lease ends; c is asked about with a stale fence and under another node; unknown rows are simply absent.
        Assert.True(await store.HeartbeatAsync(tokens["b"], ShortLease, Ct));
        await DatabaseTimePassesAsync(store, (await RowAsync(store, "b")).LeaseUntil!.Value);
        ClaimToken[] asked =
        [
            tokens["a"], tokens["b"], tokens["c"] with { Fence = tokens["c"].Fence + 1 }, tokens["c"] with { NodeId = "n2" },
            tokens["a"] with { JobName = "missing" }, tokens["a"] with { App = "other-app" },
        ];
        Assert.Equal([tokens["a"]], await store.VerifyAsync(asked, Ct));
        Assert.Empty(await store.VerifyAsync([], Ct));
    }

    [Fact]
    public async Task A_claim_with_a_live_window_keeps_the_node_registered_and_reports_fleet_changes()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        // Refresh once the heartbeat is 1/6 of the window old (667 ms); long enough that a loaded machine stays inside it.
        var window = TimeSpan.FromSeconds(4);
        await store.SeedAsync(App, [Job("a", now.AddHours(1))], Ct);
        ClaimRequest Request(string node) => new(App, node, 1, LongLease) { NodeLiveWindow = window };

        // Never registered: the claim says so and creates nothing.
        Assert.True((await store.ClaimDueAsync(Request("n1"), Ct)).RegistrationNeeded);
        Assert.Empty(await store.ListNodesAsync(App, Ct));

        // Registered, nothing changed: no registration needed, and the claim refreshes the heartbeat once it aged.
        await store.RegisterNodeAsync(new NodeInfo(App, "n1", "host", 1, ["a"]), window, Ct);
        var registered = Assert.Single(await store.ListNodesAsync(App, Ct)).HeartbeatAt;
        await DatabaseTimePassesAsync(store, registered.AddMilliseconds(800));
        Assert.False((await store.ClaimDueAsync(Request("n1"), Ct)).RegistrationNeeded);
        Assert.True(Assert.Single(await store.ListNodesAsync(App, Ct)).HeartbeatAt > registered, "the claim refreshed the heartbeat");

        // Another node joins: the fleet changed, so the first node must register (orphan flags); then it is quiet again.
        await store.RegisterNodeAsync(new NodeInfo(App, "n2", "host", 2, ["a"]), window, Ct);
        Assert.True((await store.ClaimDueAsync(Request("n1"), Ct)).RegistrationNeeded);
        await store.RegisterNodeAsync(new NodeInfo(App, "n1", "host", 1, ["a"]), window, Ct);
        Assert.False((await store.ClaimDueAsync(Request("n1"), Ct)).RegistrationNeeded);

        // A claim without a live window leaves the nodes table alone and never asks.
        var before = (await store.ListNodesAsync(App, Ct)).Single(n => n.NodeId == "n1").HeartbeatAt;
        await DatabaseTimePassesAsync(store, before.AddMilliseconds(800));
        Assert.False((await store.ClaimDueAsync(App, "n1", ["a"], 1, LongLease, Ct)).RegistrationNeeded);
        Assert.Equal(before, (await store.ListNodesAsync(App, Ct)).Single(n => n.NodeId == "n1").HeartbeatAt);

        // Silent past the live window: a claim no longer revives the row; the node must register in full.
        await DatabaseTimePassesAsync(store, before + window + TimeSpan.FromMilliseconds(100));
        Assert.True((await store.ClaimDueAsync(Request("n1"), Ct)).RegistrationNeeded);
        Assert.Equal(before, (await store.ListNodesAsync(App, Ct)).Single(n => n.NodeId == "n1").HeartbeatAt);
    }

    [Fact]
    public async Task Heartbeat_extends_the_lease_while_owner_and_fence_match()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        await store.SeedAsync(App, [Job("a", now.AddSeconds(-1))], Ct);
        var claim = Assert.Single((await store.ClaimDueAsync(App, "n1", ["a"], 1, ShortLease, Ct)).Claimed);

        Assert.True(await store.HeartbeatAsync(claim.Token, TimeSpan.FromHours(1), Ct));

        var row = await RowAsync(store, "a");
        Assert.True(row.LeaseUntil > claim.LeaseUntil.AddMinutes(50), $"lease {row.LeaseUntil:O} was not extended");
        Assert.Equal("n1", row.OwnerNode);
        Assert.Equal(1, row.Fence);
        await DatabaseTimePassesAsync(store, claim.LeaseUntil.AddMilliseconds(200));
        Assert.True(await store.VerifyAsync(claim.Token, Ct));
        Assert.Empty((await store.ClaimDueAsync(App, "n2", ["a"], 1, LongLease, Ct)).Claimed);
    }

    [Fact]
    public async Task Heartbeat_with_a_stale_fence_or_another_node_fails_and_changes_nothing()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        await store.SeedAsync(App, [Job("a", now.AddSeconds(-1))], Ct);
        var claim = Assert.Single((await store.ClaimDueAsync(App, "n1", ["a"], 1, LongLease, Ct)).Claimed);
        var before = await RowAsync(store, "a");

        Assert.False(await store.HeartbeatAsync(claim.Token with { Fence = 0 }, TimeSpan.FromHours(1), Ct));
        Assert.False(await store.HeartbeatAsync(claim.Token with { NodeId = "n2" }, TimeSpan.FromHours(1), Ct));

        Assert.Equal(before, await RowAsync(store, "a"));
    }

    // ---------------------------------------------------------------- complete, release

    [Fact]
    public async Task Complete_records_history_sets_next_due_clears_the_lease_and_succeeds_once()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        var occurrence = now.AddSeconds(-30);
        await store.SeedAsync(App, [Job("a", occurrence)], Ct);
        var claim = Assert.Single((await store.ClaimDueAsync(App, "n1", ["a"], 1, LongLease, Ct)).Claimed);
        var next = now.AddMinutes(5);

        Assert.True(await store.CompleteAsync(Done(claim, next), Ct));
        Assert.False(await store.CompleteAsync(Done(claim, now.AddHours(9)), Ct));

        var row = await RowAsync(store, "a");
        Assert.Equal(next, row.NextDueAt);
        Assert.Equal(next, row.OccurrenceAt);
        Assert.Equal(1, row.Attempt);
        Assert.Null(row.OwnerNode);
        Assert.Null(row.LeaseUntil);
        Assert.Equal(1, row.Fence);
        Assert.Equal(RunStatus.Succeeded, row.LastStatus);
        Assert.Null(row.LastError);
        Assert.Equal("n1", row.LastNode);
        CloseTo(now, row.LastFinishedAt, TimeSpan.FromMinutes(1));

        var run = Assert.Single(await store.GetHistoryAsync(App, "a", 10, Ct));
        Assert.Equal("a", run.JobName);
        Assert.Equal(occurrence, run.OccurrenceAt);
        Assert.Equal(1, run.Attempt);
        Assert.Equal("n1", run.NodeId);
        Assert.Equal(1, run.Fence);
        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.Equal(claim.DueAt, run.StartedAt);
        Assert.Equal(TimeSpan.FromMilliseconds(1234), run.Duration);
        Assert.Null(run.ErrorType);
        Assert.Null(run.ErrorMessage);
        Assert.False(run.IsManualTrigger);
        CloseTo(now, run.FinishedAt, TimeSpan.FromMinutes(1));

        Assert.False(await store.VerifyAsync(claim.Token, Ct));
        Assert.False(await store.HeartbeatAsync(claim.Token, LongLease, Ct));
        Assert.Empty((await store.ClaimDueAsync(App, "n1", ["a"], 1, LongLease, Ct)).Claimed);
    }

    [Fact]
    public async Task A_failed_run_records_its_error_and_schedules_the_retry()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        var occurrence = now.AddSeconds(-10);
        await store.SeedAsync(App, [Job("a", occurrence)], Ct);
        var claim = Assert.Single((await store.ClaimDueAsync(App, "n1", ["a"], 1, LongLease, Ct)).Claimed);

        Assert.True(await store.CompleteAsync(Done(claim, now.AddSeconds(-1), RunStatus.Failed, nextAttempt: 2,
            nextOccurrence: occurrence, errorType: "System.InvalidOperationException", errorMessage: "disk full"), Ct));

        var row = await RowAsync(store, "a");
        Assert.Equal(RunStatus.Failed, row.LastStatus);
        Assert.Contains("disk full", row.LastError);
        Assert.Equal(2, row.Attempt);
        Assert.Equal(occurrence, row.OccurrenceAt);
        var run = Assert.Single(await store.GetHistoryAsync(App, "a", 10, Ct));
        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Equal("System.InvalidOperationException", run.ErrorType);
        Assert.Equal("disk full", run.ErrorMessage);

        // The retry is due now: it is claimed as attempt 2 of the same occurrence, with the next fence.
        var retry = Assert.Single((await store.ClaimDueAsync(App, "n2", ["a"], 1, LongLease, Ct)).Claimed);
        Assert.Equal(2, retry.Attempt);
        Assert.Equal(occurrence, retry.OccurrenceAt);
        Assert.Equal(now.AddSeconds(-1), retry.DueAt);
        Assert.Equal(2, retry.Token.Fence);
    }

    [Fact]
    public async Task Complete_with_a_stale_fence_fails_and_writes_no_history()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        await store.SeedAsync(App, [Job("a", now.AddSeconds(-1))], Ct);
        var claim = Assert.Single((await store.ClaimDueAsync(App, "n1", ["a"], 1, LongLease, Ct)).Claimed);

        Assert.False(await store.CompleteAsync(Done(claim, now.AddHours(1)) with { Claim = claim.Token with { Fence = 7 } }, Ct));
        Assert.False(await store.CompleteAsync(Done(claim, now.AddHours(1)) with { Claim = claim.Token with { NodeId = "n2" } }, Ct));

        Assert.Empty(await store.GetHistoryAsync(App, "a", 10, Ct));
        var row = await RowAsync(store, "a");
        Assert.Equal("n1", row.OwnerNode);
        Assert.Equal(now.AddSeconds(-1), row.NextDueAt);
        Assert.Null(row.LastStatus);
    }

    [Fact]
    public async Task Release_keeps_the_due_time_and_makes_the_job_claimable_at_once()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        var due = now.AddSeconds(-4);
        await store.SeedAsync(App, [Job("a", due)], Ct);
        var claim = Assert.Single((await store.ClaimDueAsync(App, "n1", ["a"], 1, TimeSpan.FromHours(1), Ct)).Claimed);

        Assert.False(await store.ReleaseAsync(claim.Token with { Fence = 9 }, Ct));
        Assert.True(await store.ReleaseAsync(claim.Token, Ct));
        Assert.False(await store.ReleaseAsync(claim.Token, Ct));

        var row = await RowAsync(store, "a");
        Assert.Null(row.OwnerNode);
        Assert.Null(row.LeaseUntil);
        Assert.Equal(due, row.NextDueAt);
        Assert.Empty(await store.GetHistoryAsync(App, "a", 10, Ct));
        Assert.False(await store.CompleteAsync(Done(claim, now.AddHours(1)), Ct));

        var again = Assert.Single((await store.ClaimDueAsync(App, "n2", ["a"], 1, LongLease, Ct)).Claimed);
        Assert.Equal(2, again.Token.Fence);
        Assert.Equal(due, again.OccurrenceAt);
        Assert.Equal(1, again.Attempt);
    }

    [Fact]
    public async Task After_lease_expiry_another_node_claims_with_a_higher_fence_and_the_old_owner_is_fenced_out()
    {
        var store = await NewStoreAsync();
        var other = await SameDatabaseAsync(store);
        var now = await NowAsync(store);
        var due = now.AddSeconds(-1);
        await store.SeedAsync(App, [Job("a", due)], Ct);
        var stale = Assert.Single((await store.ClaimDueAsync(App, "n1", ["a"], 1, ShortLease, Ct)).Claimed);

        ClaimedJob? taken = null;
        await Eventually.TrueAsync(async () =>
        {
            taken = (await other.ClaimDueAsync(App, "n2", ["a"], 1, LongLease, Ct)).Claimed.SingleOrDefault();
            return taken is not null;
        }, "the expired lease is claimed by n2", ConditionDeadline);

        Assert.Equal(new ClaimToken(App, "a", "n2", 2), taken!.Token);
        Assert.Equal(due, taken.OccurrenceAt);
        Assert.False(await store.VerifyAsync(stale.Token, Ct));
        Assert.False(await store.HeartbeatAsync(stale.Token, LongLease, Ct));
        Assert.False(await store.ReleaseAsync(stale.Token, Ct));
        Assert.False(await store.CompleteAsync(Done(stale, now.AddHours(1)), Ct));
        Assert.Empty(await store.GetHistoryAsync(App, "a", 10, Ct));

        Assert.True(await other.VerifyAsync(taken.Token, Ct));
        Assert.True(await other.CompleteAsync(Done(taken, now.AddHours(1)), Ct));
        Assert.Equal("n2", Assert.Single(await store.GetHistoryAsync(App, "a", 10, Ct)).NodeId);
    }

    // ---------------------------------------------------------------- listing

    [Fact]
    public async Task History_is_newest_first_and_limited()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        await store.SeedAsync(App, [Job("a", now.AddMinutes(-10)), Job("b", now.AddMinutes(-10))], Ct);
        for (var i = 0; i < 3; i++)
        {
            var claim = (await store.ClaimDueAsync(App, "n1", ["a"], 1, LongLease, Ct)).Claimed.Single();
            // Each completion makes the next occurrence (one minute later, still in the past) due at once.
            Assert.True(await store.CompleteAsync(Done(claim, claim.OccurrenceAt.AddMinutes(1)), Ct));
        }

        var all = await store.GetHistoryAsync(App, "a", 10, Ct);
        var two = await store.GetHistoryAsync(App, "a", 2, Ct);

        Assert.Equal([now.AddMinutes(-8), now.AddMinutes(-9), now.AddMinutes(-10)], all.Select(r => r.OccurrenceAt));
        Assert.Equal([3L, 2L, 1L], all.Select(r => r.Fence));
        Assert.True(all[0].Id > all[1].Id && all[1].Id > all[2].Id);
        Assert.Equal(all.Take(2), two);
        Assert.Empty(await store.GetHistoryAsync(App, "b", 10, Ct));
        Assert.Empty(await store.GetHistoryAsync(App, "missing", 10, Ct));
        Assert.Empty(await store.ListJobsAsync("no-such-app", Ct));
    }

    // ---------------------------------------------------------------- nodes and orphans

    [Fact]
    public async Task Jobs_no_live_node_has_code_for_are_orphaned_and_never_deleted()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        var window = TimeSpan.FromMinutes(5);
        await store.SeedAsync(App, [Job("a", now.AddHours(1)), Job("b", now.AddHours(1))], Ct);
        await store.SeedAsync("other", [Job("b", now.AddHours(1))], Ct);

        await store.RegisterNodeAsync(new NodeInfo(App, "old", "host1", 101, ["a", "b"]), window, Ct);
        await store.RegisterNodeAsync(new NodeInfo(App, "new", "host2", 102, ["a"]), window, Ct);
        Assert.All(await store.ListJobsAsync(App, Ct), j => Assert.False(j.Orphaned));

        await store.UnregisterNodeAsync(App, "old", Ct);
        await store.RegisterNodeAsync(new NodeInfo("other", "x", "host3", 103, ["b"]), window, Ct); // another app's node does not count
        await store.RegisterNodeAsync(new NodeInfo(App, "new", "host2", 102, ["a"]), window, Ct);

        var jobs = await store.ListJobsAsync(App, Ct);
        Assert.Equal(["a", "b"], jobs.Select(j => j.Name).Order());
        Assert.False(jobs.Single(j => j.Name == "a").Orphaned);
        Assert.True(jobs.Single(j => j.Name == "b").Orphaned);
        Assert.False(Assert.Single(await store.ListJobsAsync("other", Ct)).Orphaned);

        await store.RegisterNodeAsync(new NodeInfo(App, "newest", "host4", 104, ["a", "b"]), window, Ct);
        Assert.All(await store.ListJobsAsync(App, Ct), j => Assert.False(j.Orphaned));
    }

    [Fact]
    public async Task A_node_whose_heartbeat_is_older_than_the_live_window_no_longer_counts()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        await store.SeedAsync(App, [Job("a", now.AddHours(1)), Job("b", now.AddHours(1))], Ct);
        await store.RegisterNodeAsync(new NodeInfo(App, "crashed", "host1", 1, ["a", "b"]), TimeSpan.FromMinutes(5), Ct);

        await Eventually.TrueAsync(async () =>
        {
            await store.RegisterNodeAsync(new NodeInfo(App, "alive", "host2", 2, ["a"]), TimeSpan.FromMilliseconds(500), Ct);
            return (await RowAsync(store, "b")).Orphaned;
        }, "b is orphaned once the crashed node's heartbeat is older than the live window", ConditionDeadline);

        Assert.False((await RowAsync(store, "a")).Orphaned);
    }

    [Fact]
    public async Task Seeding_an_orphaned_job_unorphans_it()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        await store.SeedAsync(App, [Job("a", now.AddHours(1)), Job("b", now.AddHours(1))], Ct);
        await store.RegisterNodeAsync(new NodeInfo(App, "n1", "host", 1, ["a"]), TimeSpan.FromMinutes(5), Ct);
        Assert.True((await RowAsync(store, "b")).Orphaned);

        await store.SeedAsync(App, [Job("b", now.AddHours(1))], Ct);

        Assert.False((await RowAsync(store, "b")).Orphaned);
    }

    // ---------------------------------------------------------------- races

    [Fact]
    public async Task Concurrent_nodes_claim_every_occurrence_exactly_once()
    {
        const int jobCount = 12, occurrencesPerJob = 3, nodeCount = 3, loopsPerNode = 2;
        var first = await NewStoreAsync();
        var stores = new List<IJobStore> { first };
        for (var i = 1; i < nodeCount; i++) stores.Add(await SameDatabaseAsync(first));
        var now = await NowAsync(first);
        var start = now.AddHours(-1);
        var names = Enumerable.Range(0, jobCount).Select(i => $"race{i:00}").ToList();
        await first.SeedAsync(App, names.Select(n => Job(n, start)).ToList(), Ct);

        var runs = new ConcurrentBag<(string Job, DateTimeOffset Occurrence, string Node, long Fence)>();
        var lostCompletions = 0;
        var expected = jobCount * occurrencesPerJob;

        async Task NodeLoop(IJobStore store, string node)
        {
            var idleRounds = 0;
            while (runs.Count < expected && idleRounds < 200)
            {
                var batch = await store.ClaimDueAsync(new ClaimRequest(App, node, 2, LongLease), Ct); // every job of the app
                if (batch.Claimed.Count == 0) { idleRounds++; await Task.Delay(10); continue; }
                idleRounds = 0;
                foreach (var claim in batch.Claimed)
                {
                    runs.Add((claim.Token.JobName, claim.OccurrenceAt, node, claim.Token.Fence));
                    await Task.Delay(5); // "run" the job: gives a faulty store's double claim room to happen
                    // Occurrences one second apart, all in the past: the next is due as soon as this completes.
                    DateTimeOffset? next = claim.OccurrenceAt < start.AddSeconds(occurrencesPerJob - 1) ? claim.OccurrenceAt.AddSeconds(1) : null;
                    if (!await store.CompleteAsync(Done(claim, next), Ct)) Interlocked.Increment(ref lostCompletions);
                }
            }
        }

        var loops = stores.SelectMany((s, i) => Enumerable.Range(0, loopsPerNode).Select(l => Task.Run(() => NodeLoop(s, $"node{i}-{l}"))));
        await Task.WhenAll(loops);

        Assert.Equal(0, lostCompletions);
        var byOccurrence = runs.GroupBy(r => (r.Job, r.Occurrence)).ToList();
        Assert.All(byOccurrence, g => Assert.Single(g));
        Assert.Equal(expected, byOccurrence.Count);
        foreach (var name in names)
        {
            var history = await first.GetHistoryAsync(App, name, 100, Ct);
            Assert.Equal(occurrencesPerJob, history.Count);
            Assert.Equal([3L, 2L, 1L], history.Select(h => h.Fence));
            var row = await RowAsync(first, name);
            Assert.Null(row.NextDueAt);
            Assert.Null(row.OwnerNode);
        }
    }

    // ---------------------------------------------------------------- signals

    [Fact]
    public async Task Waiting_for_a_signal_returns_within_the_timeout()
    {
        var store = await NewStoreAsync();
        var wait = store.WaitForSignalAsync(App, TimeSpan.FromMilliseconds(300), Ct);
        var finished = await Task.WhenAny(wait, Task.Delay(TimeSpan.FromSeconds(30)));
        Assert.Same(wait, finished);
        await wait;
    }

    [Fact]
    public async Task Waiting_for_a_signal_honours_cancellation()
    {
        var store = await NewStoreAsync();
        using var cts = new CancellationTokenSource();
        var wait = store.WaitForSignalAsync(App, TimeSpan.FromMinutes(10), cts.Token);
        cts.Cancel();
        var finished = await Task.WhenAny(wait, Task.Delay(TimeSpan.FromSeconds(30)));
        Assert.Same(wait, finished);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait);
    }

    [Fact]
    public async Task A_write_to_the_app_wakes_a_waiter_early()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        var wait = store.WaitForSignalAsync(App, TimeSpan.FromMinutes(10), Ct);

        // Keep writing until the waiter wakes: a listener may take a moment to subscribe.
        for (var i = 0; i < 300 && !wait.IsCompleted; i++)
        {
            await store.SeedAsync(App, [Job($"wake{i}", now.AddHours(1))], Ct);
            await Task.WhenAny(wait, Task.Delay(100));
        }

        Assert.True(wait.IsCompleted, "no signal woke the waiter");
        Assert.True(await wait);
    }
}
