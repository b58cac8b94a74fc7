using DistCron.Storage;

namespace DistCron.Tests.Operations;

// 'distcron remove <job>': the day a job is deleted or renamed in code, its row stays orphaned forever unless removed.
public abstract partial class CliTests
{
    [Fact]
    public async Task Remove_deletes_a_job_no_live_node_has_code_for_and_keeps_its_history_unless_asked()
    {
        // node-a redeployed without "nightly": only "every5" has code now.
        await Store.RegisterNodeAsync(new NodeInfo(App, "node-a", "host-a", 4242, ["every5"]), TimeSpan.FromMinutes(1), Ct);

        var removed = await RunAsync("remove", "nightly");

        Assert.True(removed.Succeeded, removed.Output);
        Assert.Contains("Removed 'nightly'; its history is kept", removed.Output);
        Assert.Equal(["every5"], (await Store.ListJobsAsync(App, Ct)).Select(j => j.Name));
        Assert.Equal(2, (await Store.QueryHistoryAsync(App, "nightly", new HistoryQuery(), Ct)).Count);
        Assert.Equal(3, (await RunAsync("remove", "nightly")).ExitCode);
    }

    [Fact]
    public async Task Remove_with_history_deletes_the_runs_too_and_reports_them_as_json()
    {
        await Store.RegisterNodeAsync(new NodeInfo(App, "node-a", "host-a", 4242, ["every5"]), TimeSpan.FromMinutes(1), Ct);

        var removed = await RunAsync("remove", "nightly", "--history", "--json");

        Assert.True(removed.Succeeded, removed.Output);
        using var document = System.Text.Json.JsonDocument.Parse(removed.Output);
        var result = document.RootElement.GetProperty("removed");
        Assert.Equal("nightly", result.GetProperty("job").GetString());
        Assert.Equal(2, result.GetProperty("runsDeleted").GetInt64());
        Assert.Empty(await Store.QueryHistoryAsync(App, null, new HistoryQuery(), Ct));
    }

    [Fact]
    public async Task Remove_refuses_a_job_a_live_node_has_code_for_or_a_node_is_running()
    {
        var live = await RunAsync("remove", "nightly", "--history");
        Assert.Equal(5, live.ExitCode);
        Assert.Contains("node-a", live.Output);
        Assert.Contains("was not removed", live.Output);

        await Store.RegisterNodeAsync(new NodeInfo(App, "node-a", "host-a", 4242, []), TimeSpan.FromMinutes(1), Ct);
        Assert.True(await Store.TriggerAsync(App, "every5", Ct));
        Assert.Equal("every5", Assert.Single((await Store.ClaimDueAsync(new ClaimRequest(App, "node-b", 1, TimeSpan.FromMinutes(5)), Ct)).Claimed).Token.JobName);
        var running = await RunAsync("remove", "every5");
        Assert.Equal(5, running.ExitCode);
        Assert.Contains("node node-b is running it", running.Output);

        Assert.Equal(["every5", "nightly"], (await Store.ListJobsAsync(App, Ct)).Select(j => j.Name));
        Assert.Equal(2, (await Store.QueryHistoryAsync(App, "nightly", new HistoryQuery(), Ct)).Count);
    }

    [Fact]
    public async Task Remove_counts_a_node_as_live_within_the_live_window_given()
    {
        // node-a's heartbeat is from the test's start; a window shorter than its age makes it silent.
        var heartbeat = (await Store.ListNodesAsync(App, Ct)).Single().HeartbeatAt;
        while (await Store.GetDatabaseTimeAsync(Ct) < heartbeat.AddSeconds(1.5)) await Task.Delay(100);

        Assert.Equal(5, (await RunAsync("remove", "nightly")).ExitCode);
        var removed = await RunAsync("remove", "nightly", "--live-window", "1");
        Assert.True(removed.Succeeded, removed.Output);
        Assert.Equal(["every5"], (await Store.ListJobsAsync(App, Ct)).Select(j => j.Name));
    }
}
