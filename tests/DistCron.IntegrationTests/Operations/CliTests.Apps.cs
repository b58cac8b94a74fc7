namespace DistCron.Tests.Operations;

// An --app the database does not hold is a mistake, not "No jobs": the tool lists the apps it holds and exits 3.
// And every command refuses the options that do not apply to it.
public abstract partial class CliTests
{
    [Fact]
    public async Task An_unknown_app_exits_with_3_and_lists_the_apps_the_database_holds()
    {
        foreach (var command in new[] { new[] { "jobs" }, ["nodes"], ["history"], ["pause", "nightly"], ["remove", "nightly"] })
        {
            var result = await RunToolAsync([.. command, .. ConnectionArgs, "--app", "cli-ap"]);
            Assert.True(result.ExitCode == 3, $"{string.Join(' ', command)}: exit {result.ExitCode}\n{result.Output}");
            Assert.Contains("no app named 'cli-ap'", result.Output);
            Assert.Contains($"Pass --app {App}", result.Output);
            Assert.DoesNotContain("No jobs", result.Output);
        }

        Assert.All(await Store.ListJobsAsync(App, Ct), j => Assert.False(j.Paused));

        var json = await RunToolAsync(["jobs", .. ConnectionArgs, "--json"]);
        Assert.Equal(3, json.ExitCode);
        using var document = System.Text.Json.JsonDocument.Parse(json.Output);
        var error = document.RootElement.GetProperty("error");
        Assert.Equal([App], error.GetProperty("apps").EnumerateArray().Select(a => a.GetString()));
        Assert.Contains("no app named 'default'", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Apps_lists_the_apps_and_a_known_app_without_jobs_says_how_to_find_the_name()
    {
        var apps = await RunToolAsync(["apps", .. ConnectionArgs]);
        Assert.True(apps.Succeeded, apps.Output);
        Assert.Equal(App, apps.Output.Trim());

        // An app whose node registered but that has no job rows: "No jobs", exit 0, and where the app name comes from.
        await Store.RegisterNodeAsync(new DistCron.Storage.NodeInfo("empty-app", "node-z", "host-z", 1, []), TimeSpan.FromMinutes(1), Ct);
        var empty = await RunToolAsync(["jobs", .. ConnectionArgs, "--app", "empty-app"]);
        Assert.True(empty.Succeeded, empty.Output);
        Assert.Contains("No jobs in app 'empty-app'", empty.Output);
        Assert.Contains("distcron apps", empty.Output);
        Assert.Contains("DistCronOptions.App", empty.Output);
    }

    [Fact]
    public async Task Options_that_do_not_apply_to_a_command_are_refused()
    {
        string[][] misfits =
        [
            ["jobs", "--limit", "5"], ["nodes", "--status", "failed"], ["trigger", "nightly", "--history"], ["apps", "--app", App],
            ["pause", "nightly", "--before", "3"],
        ];
        foreach (var args in misfits)
        {
            var result = await RunToolAsync([.. args, .. ConnectionArgs]);
            Assert.True(result.ExitCode == 2, $"{string.Join(' ', args)}: exit {result.ExitCode}\n{result.Output}");
            Assert.Contains($"does not apply to '{args[0]}'", result.Output);
        }

        var sql = await RunToolAsync(["sql", "--app", App]);
        Assert.Equal(2, sql.ExitCode);
        Assert.Contains("The option '--app' does not apply to 'sql'", sql.Output);
        Assert.All(await Store.ListJobsAsync(App, Ct), j => Assert.False(j.Paused));

        var unknown = await RunAsync("jobs", "--frobnicate");
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("Unknown option '--frobnicate'", unknown.Output);
    }

    [Fact]
    public async Task A_database_holding_only_the_samples_app_points_the_newcomer_at_it()
    {
        // The sample (samples/DistCron.Sample, NodeHost.cs) runs as app "sample-site": 'distcron jobs --sqlite
        // .distcron/sample.db' without --app must say so rather than "No jobs".
        await Store.UnregisterNodeAsync(App, "node-a", Ct);
        foreach (var job in new[] { "nightly", "every5" })
        {
            Assert.Equal(DistCron.Storage.JobRemovalOutcome.Removed, (await Store.RemoveJobAsync(App, job, TimeSpan.FromMinutes(1), true, Ct)).Outcome);
        }

        var now = await Store.GetDatabaseTimeAsync(Ct);
        await Store.SeedAsync("sample-site", [new DistCron.Storage.SeedJob("heartbeat", "* * * * *", "UTC", "h", now.AddMinutes(1))], Ct);
        Assert.Equal(["sample-site"], await Store.ListAppsAsync(Ct));

        var result = await RunToolAsync(["jobs", .. ConnectionArgs]);

        Assert.Equal(3, result.ExitCode);
        Assert.Contains("no app named 'default'", result.Output);
        Assert.Contains("Pass --app sample-site", result.Output);
        Assert.True((await RunToolAsync(["jobs", .. ConnectionArgs, "--app", "sample-site"])).Succeeded);
    }
}
