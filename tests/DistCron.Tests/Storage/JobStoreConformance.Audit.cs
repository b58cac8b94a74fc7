using DistCron.Storage;

namespace DistCron.Tests.Storage;

/// <summary>Conformance of the audited operator actions: pause with a reason and an end, resume, trigger, the audit trail.</summary>
public abstract partial class JobStoreConformance
{
    /// <summary>Makes every later audit insert of this database fail (the table is renamed away).</summary>
    private protected abstract Task BreakAuditTableAsync(IJobStore store);

    private static readonly OperatorAction Alice = new("alice", "disk full on the report host");

    [Fact]
    public async Task Pause_with_a_reason_and_an_end_is_stored_on_the_row_and_in_one_audit_row()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        await store.SeedAsync(App, [Job("a", now.AddSeconds(-5))], Ct);
        var until = now.AddHours(2);

        Assert.True(await store.PauseAsync(App, "a", Alice, until, Ct));

        var row = await RowAsync(store, "a");
        Assert.True(row.Paused);
        Assert.Equal("disk full on the report host", row.PauseReason);
        Assert.Equal(until, row.PauseUntil);
        var audit = Assert.Single(await store.QueryAuditAsync(App, new AuditQuery(), Ct));
        Assert.Equal(("a", AuditAction.Pause, "alice", "disk full on the report host", (DateTimeOffset?)until), (audit.JobName, audit.Action, audit.Actor, audit.Reason, audit.PauseUntil));
        Assert.InRange(audit.At, now.AddSeconds(-1), (await NowAsync(store)).AddSeconds(1)); // the database's clock
        Assert.Empty((await store.ClaimDueAsync(App, "n1", ["a"], 10, LongLease, Ct)).Claimed);

        // A second pause replaces the reason and removes the end; it is audited too.
        Assert.True(await store.PauseAsync(App, "a", new OperatorAction("bob", "until further notice"), null, Ct));
        row = await RowAsync(store, "a");
        Assert.Equal("until further notice", row.PauseReason);
        Assert.Null(row.PauseUntil);
        Assert.Equal(2, (await store.QueryAuditAsync(App, new AuditQuery(), Ct)).Count);
    }

    [Fact]
    public async Task Resume_clears_the_reason_and_end_and_is_audited_only_when_it_resumed()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        await store.SeedAsync(App, [Job("a", now.AddHours(1))], Ct);
        await store.PauseAsync(App, "a", Alice, now.AddHours(1), Ct);

        Assert.Equal(ResumeOutcome.Resumed, await store.ResumeAsync(App, "a", now.AddMinutes(5), null, new OperatorAction("bob", "disk cleaned"), Ct));
        Assert.Equal(ResumeOutcome.NotPaused, await store.ResumeAsync(App, "a", null, null, new OperatorAction("bob", "again"), Ct));

        var row = await RowAsync(store, "a");
        Assert.False(row.Paused);
        Assert.Null(row.PauseReason);
        Assert.Null(row.PauseUntil);
        Assert.Equal(now.AddMinutes(5), row.NextDueAt);
        var audit = await store.QueryAuditAsync(App, new AuditQuery(), Ct);
        Assert.Equal([AuditAction.Resume, AuditAction.Pause], audit.Select(a => a.Action));
        Assert.Equal(("bob", "disk cleaned"), (audit[0].Actor, audit[0].Reason));
    }

    [Fact]
    public async Task Every_trigger_is_audited_and_an_unknown_job_writes_no_audit_row()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        await store.SeedAsync(App, [Job("a", now.AddHours(1))], Ct);

        Assert.True(await store.TriggerAsync(App, "a", new OperatorAction("carol", "rerun after the fix"), Ct));
        Assert.True(await store.TriggerAsync(App, "a", new OperatorAction("dave", null), Ct)); // one run, two requests
        Assert.False(await store.TriggerAsync(App, "missing", Alice, Ct));
        Assert.False(await store.PauseAsync(App, "missing", Alice, null, Ct));
        Assert.Equal(ResumeOutcome.NotFound, await store.ResumeAsync(App, "missing", null, null, Alice, Ct));

        var audit = await store.QueryAuditAsync(App, new AuditQuery(), Ct);
        Assert.Equal([("dave", (string?)null), ("carol", "rerun after the fix")], audit.Select(a => (a.Actor, a.Reason)));
        Assert.All(audit, a => Assert.Equal(AuditAction.Trigger, a.Action));
        Assert.NotNull((await RowAsync(store, "a")).TriggerRequestedAt);
    }

    [Fact]
    public async Task An_action_whose_audit_row_cannot_be_written_changes_nothing()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        await store.SeedAsync(App, [Job("a", now.AddHours(1)), Job("b", now.AddHours(1))], Ct);
        await store.PauseAsync(App, "b", Alice, null, Ct);
        await BreakAuditTableAsync(store);

        await Assert.ThrowsAnyAsync<Exception>(() => store.PauseAsync(App, "a", Alice, now.AddHours(1), Ct));
        await Assert.ThrowsAnyAsync<Exception>(() => store.TriggerAsync(App, "a", Alice, Ct));
        await Assert.ThrowsAnyAsync<Exception>(() => store.ResumeAsync(App, "b", now.AddMinutes(5), null, Alice, Ct));

        var a = await RowAsync(store, "a");
        Assert.False(a.Paused);
        Assert.Null(a.PauseReason);
        Assert.Null(a.TriggerRequestedAt);
        var b = await RowAsync(store, "b");
        Assert.True(b.Paused);
        Assert.Equal(now.AddHours(1), b.NextDueAt);
    }

    [Fact]
    public async Task Audit_rows_are_keyset_paged_newest_first_and_filtered_by_job_and_app()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        await store.SeedAsync(App, [Job("a", now.AddHours(1)), Job("b", now.AddHours(1))], Ct);
        await store.SeedAsync("other", [Job("a", now.AddHours(1))], Ct);
        for (var i = 0; i < 5; i++) await store.TriggerAsync(App, i % 2 == 0 ? "a" : "b", new OperatorAction($"u{i}", null), Ct);
        await store.TriggerAsync("other", "a", Alice, Ct);

        var first = await store.QueryAuditAsync(App, new AuditQuery(Limit: 2), Ct);
        Assert.Equal(["u4", "u3"], first.Select(a => a.Actor));
        var second = await store.QueryAuditAsync(App, new AuditQuery(Limit: 2, BeforeId: first[^1].Id), Ct);
        Assert.Equal(["u2", "u1"], second.Select(a => a.Actor));
        var onlyA = await store.QueryAuditAsync(App, new AuditQuery(JobName: "a"), Ct);
        Assert.Equal(["u4", "u2", "u0"], onlyA.Select(a => a.Actor));
        Assert.Equal("alice", Assert.Single(await store.QueryAuditAsync("other", new AuditQuery(), Ct)).Actor);
    }

    [Fact]
    public async Task A_timed_pause_is_listed_once_ended_and_only_its_end_resumes_it()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        await store.SeedAsync(App, [Job("ends", now.AddHours(1)), Job("later", now.AddHours(1)), Job("forever", now.AddHours(1))], Ct);
        await store.PauseAsync(App, "ends", Alice, now.AddMilliseconds(300), Ct);
        await store.PauseAsync(App, "later", Alice, now.AddHours(1), Ct);
        await store.PauseAsync(App, "forever", Alice, null, Ct);
        var expiredOnly = new OperatorAction("distcron-node:n1", "timed pause ended") { OnlyExpiredPause = true };

        // Before the end: nothing listed, and a node's resume changes nothing.
        Assert.Empty(await store.ListExpiredPausesAsync(App, Ct));
        Assert.Equal(ResumeOutcome.NotPaused, await store.ResumeAsync(App, "ends", now.AddMinutes(5), null, expiredOnly, Ct));

        await DatabaseTimePassesAsync(store, now.AddMilliseconds(300));
        Assert.Equal(["ends"], await store.ListExpiredPausesAsync(App, Ct));
        Assert.Equal(ResumeOutcome.NotPaused, await store.ResumeAsync(App, "later", now.AddMinutes(5), null, expiredOnly, Ct));
        Assert.Equal(ResumeOutcome.NotPaused, await store.ResumeAsync(App, "forever", now.AddMinutes(5), null, expiredOnly, Ct));
        Assert.Equal(ResumeOutcome.Resumed, await store.ResumeAsync(App, "ends", now.AddMinutes(5), null, expiredOnly, Ct));

        Assert.Empty(await store.ListExpiredPausesAsync(App, Ct));
        Assert.False((await RowAsync(store, "ends")).Paused);
        Assert.True((await RowAsync(store, "later")).Paused);
        Assert.True((await RowAsync(store, "forever")).Paused);
        var resumed = (await store.QueryAuditAsync(App, new AuditQuery(), Ct))[0];
        Assert.Equal((AuditAction.Resume, "ends", "distcron-node:n1"), (resumed.Action, resumed.JobName, resumed.Actor));
    }
}
