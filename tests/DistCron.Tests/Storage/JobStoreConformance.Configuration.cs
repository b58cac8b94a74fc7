using DistCron.Storage;

namespace DistCron.Tests.Storage;

/// <summary>
/// Conformance of what a deployment's configuration writes: a job disabled by configuration (never due, never claimed
/// for a trigger, listed as disabled) and nodes of one deployment version that differ by configuration (the row keeps
/// the definition written first instead of flipping at every restart).
/// </summary>
public abstract partial class JobStoreConformance
{
    [Fact]
    public async Task A_disabled_job_is_listed_with_no_due_time_and_never_claimed_not_even_when_triggered()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        await store.SeedAsync(App, [Job("a", now.AddSeconds(-1), "h1")], Ct);
        await store.SeedAsync(App, [Job("a", null, "h1-disabled") with { Disabled = true }], Ct);

        var row = await RowAsync(store, "a");
        Assert.True(row.Disabled);
        Assert.Null(row.NextDueAt);
        Assert.True(await store.TriggerAsync(App, "a", Ct)); // the store records it; the client refuses it first
        var batch = await store.ClaimDueAsync(new ClaimRequest(App, "n1", 10, LongLease) { Ahead = TimeSpan.FromDays(1) }, ["a"], Ct);
        Assert.Empty(batch.Claimed);
        Assert.Null(batch.EarliestDueAt); // a pending trigger on a disabled row must not wake the node again and again

        // Enabled again by a redeploy: a definition change like any other, due again.
        await store.SeedAsync(App, [Job("a", now.AddSeconds(-1), "h1")], Ct);
        row = await RowAsync(store, "a");
        Assert.False(row.Disabled);
        Assert.NotNull(row.NextDueAt);
        Assert.Single((await store.ClaimDueAsync(App, "n1", ["a"], 1, LongLease, Ct)).Claimed);
    }

    [Fact]
    public async Task A_node_of_the_same_deployment_version_never_overwrites_a_different_definition_a_node_keeps()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        await store.SeedAsync(App, [Configured("a", now.AddMinutes(5), "config-a", "*/5 * * * *", 7)], Ct);

        // A pod of the same release with another DistCron:Jobs:a:Schedule starts: the row stays as written.
        await store.SeedAsync(App, [Configured("a", now.AddHours(1), "config-b", "0 * * * *", 7)], Ct);
        var row = await RowAsync(store, "a");
        Assert.Equal(("config-a", "*/5 * * * *", 7L), (row.DefinitionHash, row.Schedule, row.DefinitionVersion!.Value));
        Assert.Equal(now.AddMinutes(5), row.NextDueAt);

        // A newer release replaces it as always; an orphaned row of the same release (no node keeps it) is replaced too.
        await store.SeedAsync(App, [Configured("a", now.AddHours(1), "config-b", "0 * * * *", 8)], Ct);
        Assert.Equal("config-b", (await RowAsync(store, "a")).DefinitionHash);
        await store.RegisterNodeAsync(new NodeInfo(App, "other", "host", 1, ["b"]), TimeSpan.FromMinutes(1), Ct); // flags "a" orphaned
        Assert.True((await RowAsync(store, "a")).Orphaned);
        await store.SeedAsync(App, [Configured("a", now.AddMinutes(5), "config-c", "*/5 * * * *", 8)], Ct);
        Assert.Equal("config-c", (await RowAsync(store, "a")).DefinitionHash);
    }

    [Fact]
    public async Task A_rebuild_under_the_same_deployment_version_with_other_code_follows_the_hash_rule()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        await store.SeedAsync(App, [Configured("a", now.AddMinutes(5), "config-a", "*/5 * * * *", 7)], Ct);
        await store.SeedAsync(App, [Configured("a", now.AddHours(1), "hotfix", "0 * * * *", 7) with { CodeHash = "code-2" }], Ct);
        var row = await RowAsync(store, "a");
        Assert.Equal(("hotfix", "code-2"), (row.DefinitionHash, row.CodeHash));
    }

    private static SeedJob Configured(string name, DateTimeOffset due, string hash, string schedule, long version) =>
        Versioned(name, due, hash, schedule, version) with { CodeHash = "code-1" };
}
