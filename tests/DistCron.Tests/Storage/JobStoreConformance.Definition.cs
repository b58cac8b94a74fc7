using DistCron.Storage;

namespace DistCron.Tests.Storage;

/// <summary>
/// Conformance of what the dashboard shows of a definition and a node: the declaration facts a seed writes (declaring
/// type, method, options) follow the definition's own rules (an older deployment never overwrites a newer one's), rows
/// without them read as unknown, and a node's versions are written by its registration.
/// </summary>
public abstract partial class JobStoreConformance
{
    private static readonly JobDefinitionInfo Declared = new("Shop.Jobs.Invoices", "SendAsync", CronFormat.Standard, MisfirePolicy.Skip,
        TimeSpan.FromMinutes(5), TimeSpan.FromSeconds(30), 3)
    {
        OverriddenBy = ["DistCron:Jobs:a:Schedule"],
    };

    private static SeedJob Declaring(string name, DateTimeOffset? due, JobDefinitionInfo facts, string hash = "h1", long? version = null) =>
        Job(name, due, hash) with { Facts = facts, DefinitionVersion = version };

    [Fact]
    public async Task Seeded_declaration_facts_read_back_from_every_job_read()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        var added = new JobDefinitionInfo(nameof(DistCronOptions), nameof(DistCronOptions.AddJob), CronFormat.IncludeSeconds, MisfirePolicy.RunOnce, null, null, 0);
        await store.SeedAsync(App, [Declaring("a", now.AddHours(1), Declared), Declaring("b", now.AddHours(1), added), Job("tool", now.AddHours(1))], Ct);

        var row = await RowAsync(store, "a");
        Assert.Equal(Declared, row.Definition);
        Assert.Equal(["DistCron:Jobs:a:Schedule"], row.Definition!.OverriddenBy);
        Assert.False(row.Definition.IsAddedInCode);
        Assert.Equal(row, await store.GetJobAsync(App, "a", Ct));
        Assert.Equal(row, Assert.Single((await store.QueryJobsAsync(App, new JobPageQuery(Search: "a"), Ct)).Jobs, j => j.Name == "a"));

        var programmatic = (await RowAsync(store, "b")).Definition;
        Assert.Equal(added, programmatic);
        Assert.True(programmatic!.IsAddedInCode);
        Assert.Equal([], programmatic.OverriddenBy);
        Assert.Null((await RowAsync(store, "tool")).Definition); // a seed that knows no facts: unknown
    }

    [Fact]
    public async Task An_older_deployments_seed_never_overwrites_a_newer_ones_declaration_facts()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        var newer = Declared with { DeclaringType = "Shop.Jobs.Billing", Misfire = MisfirePolicy.RunOnce, MaxRetries = 9 };
        await store.SeedAsync(App, [Declaring("a", now.AddHours(1), newer, hash: "h2", version: 5)], Ct);

        // The old release restarts: another definition, and the same definition declared elsewhere.
        await store.SeedAsync(App, [Declaring("a", now.AddHours(1), Declared, hash: "h1", version: 4)], Ct);
        await store.SeedAsync(App, [Declaring("a", now.AddHours(1), Declared, hash: "h2", version: 4)], Ct);

        var row = await RowAsync(store, "a");
        Assert.Equal(("h2", 5L), (row.DefinitionHash, row.DefinitionVersion!.Value));
        Assert.Equal(newer, row.Definition);
    }

    [Fact]
    public async Task Missing_facts_of_an_unchanged_definition_are_filled_in_without_restarting_its_schedule()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        await store.SeedAsync(App, [Job("a", now.AddHours(1))], Ct); // as an older DistCron seeded it: no facts
        var before = await RowAsync(store, "a");
        Assert.Null(before.Definition);

        await store.SeedAsync(App, [Declaring("a", now.AddHours(2), Declared)], Ct);

        var after = await RowAsync(store, "a");
        Assert.Equal(Declared, after.Definition);
        Assert.Equal((before.NextDueAt, before.OccurrenceAt, before.ScheduleRevision), (after.NextDueAt, after.OccurrenceAt, after.ScheduleRevision));
    }

    [Fact]
    public async Task A_method_moved_without_a_definition_change_updates_the_facts_but_not_the_schedule()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        await store.SeedAsync(App, [Declaring("a", now.AddHours(1), Declared, version: 4)], Ct);
        var before = await RowAsync(store, "a");

        var moved = Declared with { DeclaringType = "Shop.Jobs.Mail", MethodName = "Send" };
        await store.SeedAsync(App, [Declaring("a", now.AddHours(2), moved, version: 5)], Ct);

        var after = await RowAsync(store, "a");
        Assert.Equal(moved, after.Definition);
        Assert.Equal((before.NextDueAt, before.ScheduleRevision), (after.NextDueAt, after.ScheduleRevision));
    }

    [Fact]
    public async Task A_restart_with_the_same_definition_and_facts_writes_nothing()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        await store.SeedAsync(App, [Declaring("a", now.AddHours(1), Declared)], Ct);
        var seeded = await UpdatedAtAsync(store, "a");
        await DatabaseTimePassesAsync(store, seeded.AddMilliseconds(5));

        await store.SeedAsync(App, [Declaring("a", now.AddHours(1), Declared)], Ct);
        // Only the configuration keys named differ (same hash, same method): nodes with such configurations do not
        // take turns rewriting the row at every restart.
        await store.SeedAsync(App, [Declaring("a", now.AddHours(1), Declared with { OverriddenBy = [] })], Ct);

        Assert.Equal(seeded, await UpdatedAtAsync(store, "a"));
        Assert.Equal(Declared, (await RowAsync(store, "a")).Definition);
    }

    [Fact]
    public async Task A_new_definition_without_facts_reads_as_unknown_not_as_the_old_ones()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        await store.SeedAsync(App, [Declaring("a", now.AddHours(1), Declared)], Ct);

        await store.SeedAsync(App, [Job("a", now.AddHours(1), hash: "h2")], Ct);

        Assert.Null((await RowAsync(store, "a")).Definition);
    }

    [Fact]
    public async Task A_nodes_versions_are_written_by_its_registration_and_read_back()
    {
        var store = await NewStoreAsync();
        var window = TimeSpan.FromMinutes(5);
        await store.RegisterNodeAsync(new NodeInfo(App, "new", "host1", 1, ["a"]) { LibraryVersion = "1.4.0", DeploymentVersion = 202612070300, Runtime = ".NET 10.0.1" }, window, Ct);
        await store.RegisterNodeAsync(new NodeInfo(App, "old", "host2", 2, ["a"]), window, Ct); // as an older DistCron registers

        var nodes = await store.ListNodesAsync(App, Ct);
        var registered = Assert.Single(nodes, n => n.NodeId == "new");
        Assert.Equal(("1.4.0", 202612070300L, ".NET 10.0.1"), (registered.LibraryVersion, registered.DeploymentVersion!.Value, registered.Runtime));
        var unknown = Assert.Single(nodes, n => n.NodeId == "old");
        Assert.Equal((null, null, null), (unknown.LibraryVersion, unknown.DeploymentVersion, unknown.Runtime));

        // A restarted process with the same id (an upgrade in place) reports its new versions.
        await store.RegisterNodeAsync(new NodeInfo(App, "new", "host1", 1, ["a"]) { LibraryVersion = "1.5.0", DeploymentVersion = 202612080300 }, window, Ct);
        registered = Assert.Single(await store.ListNodesAsync(App, Ct), n => n.NodeId == "new");
        Assert.Equal(("1.5.0", 202612080300L, null), (registered.LibraryVersion, registered.DeploymentVersion!.Value, registered.Runtime));
    }
}
