using System.Text.Json;
using DistCron.Storage;
using DistCron.Tests.Infrastructure;

namespace DistCron.Tests.Operations;

// --json: one document per run, an envelope (format version, command, app, database time) around complete records,
// durations in seconds as numbers; errors are documents too, with no secret. Parsed with System.Text.Json.
public abstract partial class CliTests
{
    private static JsonElement Json(ProcessRunner.Result result)
    {
        using var document = JsonDocument.Parse(result.Output);
        return document.RootElement.Clone();
    }

    private static void AssertEnvelope(JsonElement root, string command, DateTimeOffset before)
    {
        Assert.Equal(1, root.GetProperty("formatVersion").GetInt32());
        Assert.Equal(command, root.GetProperty("command").GetString());
        Assert.Equal(App, root.GetProperty("app").GetString());
        var databaseTime = root.GetProperty("databaseTime").GetDateTimeOffset();
        Assert.Equal(TimeSpan.Zero, databaseTime.Offset);
        Assert.InRange(databaseTime, before.AddSeconds(-1), before.AddMinutes(2));
    }

    [Fact]
    public async Task Jobs_json_is_an_envelope_of_complete_job_records()
    {
        Assert.True(await Store.TriggerAsync(App, "every5", Ct));
        var before = await Store.GetDatabaseTimeAsync(Ct);

        var result = await RunAsync("jobs", "--json");

        Assert.True(result.Succeeded, result.Output);
        var root = Json(result);
        AssertEnvelope(root, "jobs", before);
        var jobs = root.GetProperty("jobs").EnumerateArray().ToDictionary(j => j.GetProperty("name").GetString()!);
        var every5 = jobs["every5"];
        Assert.True(every5.GetProperty("triggerPending").GetBoolean());
        Assert.InRange(every5.GetProperty("triggerRequestedAt").GetDateTimeOffset(), before.AddSeconds(-5), before.AddSeconds(1));
        Assert.Equal(JsonValueKind.Null, every5.GetProperty("lastRun").ValueKind);
        Assert.Equal("scheduled", every5.GetProperty("state").GetString());

        var nightly = jobs["nightly"];
        Assert.False(nightly.GetProperty("triggerPending").GetBoolean());
        Assert.Equal("Europe/Paris", nightly.GetProperty("timeZone").GetString());
        Assert.Equal(JsonValueKind.String, nightly.GetProperty("nextDueAt").ValueKind);
        Assert.Equal(JsonValueKind.Null, nightly.GetProperty("running").ValueKind);
        var last = nightly.GetProperty("lastRun");
        Assert.Equal("failed", last.GetProperty("status").GetString());
        Assert.Equal(Started, last.GetProperty("startedAt").GetDateTimeOffset());
        Assert.Equal(JsonValueKind.Number, last.GetProperty("durationSeconds").ValueKind);
        Assert.Equal(1.5, last.GetProperty("durationSeconds").GetDouble());
        Assert.Equal("node-a", last.GetProperty("node").GetString());
        Assert.Equal("disk full", last.GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_claimed_job_shows_as_running_with_its_lease()
    {
        // every5 is due in an hour: a trigger makes it claimable now.
        Assert.True(await Store.TriggerAsync(App, "every5", Ct));
        var claim = Assert.Single((await Store.ClaimDueAsync(new ClaimRequest(App, "node-b", 1, TimeSpan.FromMinutes(5)), Ct)).Claimed);
        Assert.Equal("every5", claim.Token.JobName);
        var result = await RunAsync("jobs", "--json");
        Assert.True(result.Succeeded, result.Output);
        var every5 = Json(result).GetProperty("jobs").EnumerateArray().Single(j => j.GetProperty("name").GetString() == "every5");
        Assert.Equal("running", every5.GetProperty("state").GetString());
        Assert.Equal("node-b", every5.GetProperty("running").GetProperty("node").GetString());
        Assert.Equal(claim.Token.Fence, every5.GetProperty("running").GetProperty("fence").GetInt64());
    }

    [Fact]
    public async Task History_and_nodes_json_have_numeric_durations_and_the_next_page()
    {
        var before = await Store.GetDatabaseTimeAsync(Ct);
        var history = await RunAsync("history", "nightly", "--limit", "1", "--json");
        Assert.True(history.Succeeded, history.Output);
        var root = Json(history);
        AssertEnvelope(root, "history", before);
        var run = Assert.Single(root.GetProperty("runs").EnumerateArray().ToArray());
        Assert.Equal(1.5, run.GetProperty("durationSeconds").GetDouble());
        Assert.Equal(Started, run.GetProperty("startedAt").GetDateTimeOffset());
        Assert.Equal("nightly", run.GetProperty("job").GetString());
        Assert.Equal(run.GetProperty("id").GetInt64(), root.GetProperty("nextBefore").GetInt64());

        var all = Json(await RunAsync("history", "--json"));
        Assert.Equal(2, all.GetProperty("runs").GetArrayLength());
        Assert.Equal(JsonValueKind.Null, all.GetProperty("nextBefore").ValueKind);

        var nodes = await RunAsync("nodes", "--json");
        Assert.True(nodes.Succeeded, nodes.Output);
        var nodesRoot = Json(nodes);
        AssertEnvelope(nodesRoot, "nodes", before);
        var node = Assert.Single(nodesRoot.GetProperty("nodes").EnumerateArray().ToArray());
        Assert.Equal("node-a", node.GetProperty("nodeId").GetString());
        Assert.Equal(4242, node.GetProperty("processId").GetInt32());
        Assert.InRange(node.GetProperty("heartbeatAgeSeconds").GetDouble(), 0, 120);
        Assert.Equal(["nightly", "every5"], node.GetProperty("jobs").EnumerateArray().Select(j => j.GetString()));
        // Registered without versions (as an older DistCron registers): present, null.
        foreach (var field in new[] { "libraryVersion", "deploymentVersion", "runtime" }) Assert.Equal(JsonValueKind.Null, node.GetProperty(field).ValueKind);

        await Store.RegisterNodeAsync(new NodeInfo(App, "node-a", "host-a", 4242, ["nightly", "every5"]) { LibraryVersion = "1.4.0", DeploymentVersion = 7 },
            TimeSpan.FromMinutes(1), Ct);
        var table = await RunAsync("nodes");
        Assert.True(table.Succeeded, table.Output);
        Assert.Contains("VERSION", table.Output);
        Assert.Contains("1.4.0 (deployment 7)", table.Output);
    }

    [Fact]
    public async Task Errors_are_json_documents_with_the_exit_code_when_json_is_asked()
    {
        var notFound = await RunAsync("pause", "Nightly", "--json");
        Assert.Equal(3, notFound.ExitCode);
        var error = Json(notFound).GetProperty("error");
        Assert.Equal("not_found", error.GetProperty("code").GetString());
        Assert.Equal(3, error.GetProperty("exitCode").GetInt32());
        Assert.Contains("no job named 'Nightly'", error.GetProperty("message").GetString());
        Assert.Equal(1, Json(notFound).GetProperty("formatVersion").GetInt32());

        var usage = await RunAsync("history", "--limit", "0", "--json");
        Assert.Equal(2, usage.ExitCode);
        Assert.Equal("usage", Json(usage).GetProperty("error").GetProperty("code").GetString());
        Assert.Contains("--limit", Json(usage).GetProperty("error").GetProperty("message").GetString());
    }
}
