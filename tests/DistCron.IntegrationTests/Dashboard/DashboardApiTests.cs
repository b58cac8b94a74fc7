using System.Net;
using System.Text.Json.Nodes;

namespace DistCron.Tests.Dashboard;

/// <summary>
/// The HTTP API returns the CLI's --json documents: the built CLI, run as a child process on the same database, and
/// the API must answer the same document, field for field, except the two fields that depend on the instant of the
/// read (databaseTime, and a node's heartbeatAgeSeconds).
/// </summary>
public sealed class DashboardApiTests : DashboardTestBase
{
    [Fact]
    public async Task Jobs_history_and_nodes_equal_the_CLI_json_documents()
    {
        await using var host = await DashboardHost.StartAsync(DatabasePath, App, DashboardHost.Anonymous());

        await AssertSameAsync(host, "/distcron/api/jobs", "jobs", "--json");
        await AssertSameAsync(host, "/distcron/api/jobs/nightly/history", "history", "nightly", "--json");
        await AssertSameAsync(host, "/distcron/api/jobs/nightly/history?limit=1", "history", "nightly", "--limit", "1", "--json");
        await AssertSameAsync(host, "/distcron/api/jobs/nightly/history?status=failed", "history", "nightly", "--status", "failed", "--json");
        await AssertSameAsync(host, "/distcron/api/nodes", "nodes", "--json");

        // The keyset page after the first: the same "nextBefore" gives the same next page.
        var first = JsonNode.Parse(await host.GetOkAsync("/distcron/api/jobs/nightly/history?limit=1"))!;
        var before = first["nextBefore"]!.GetValue<long>();
        await AssertSameAsync(host, $"/distcron/api/jobs/nightly/history?limit=1&before={before}", "history", "nightly", "--limit", "1", "--before", before.ToString(), "--json");
    }

    [Fact]
    public async Task A_page_of_jobs_is_the_CLI_jobs_document_of_those_jobs_with_the_next_page_in_a_Link_header()
    {
        await using var host = await DashboardHost.StartAsync(DatabasePath, App, DashboardHost.Anonymous());
        var cli = await RunCliAsync("jobs", "--json");
        Assert.True(cli.Succeeded, cli.Output);
        var everyJob = JsonNode.Parse(cli.Output)!["jobs"]!.AsArray();

        var walked = new List<JsonNode>();
        var path = "/distcron/api/jobs?limit=3&sort=name";
        while (true)
        {
            var (response, body) = await host.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var document = JsonNode.Parse(body)!;
            Assert.Equal("jobs", document["command"]!.GetValue<string>());
            walked.AddRange(document["jobs"]!.AsArray().Select(j => j!.DeepClone()));
            if (!response.Headers.TryGetValues("Link", out var links)) break;
            var link = System.Text.RegularExpressions.Regex.Match(Assert.Single(links), "^<(.+)>; rel=\"next\"$").Groups[1].Value;
            Assert.StartsWith("/distcron/api/jobs?", link);
            path = link;
        }

        // By name, page by page: the CLI's jobs, every field equal except the read instant's.
        Assert.Equal(everyJob.Count, walked.Count);
        for (var i = 0; i < walked.Count; i++) Assert.True(JsonNode.DeepEquals(everyJob[i], walked[i]), $"CLI:\n{everyJob[i]}\nAPI:\n{walked[i]}");

        var failing = JsonNode.Parse(await host.GetOkAsync("/distcron/api/jobs?state=failing&q=NIGHT"))!["jobs"]!.AsArray();
        Assert.Equal(["nightly"], failing.Select(j => j!["name"]!.GetValue<string>()));
        foreach (var query in new[] { "limit=0", "limit=1001", "state=exploded", "sort=size", "after=garbage" })
        {
            var (bad, badBody) = await host.GetAsync("/distcron/api/jobs?" + query);
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.Equal("usage", JsonNode.Parse(badBody)!["error"]!["code"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task One_job_is_the_CLI_record_of_that_job_in_the_same_envelope()
    {
        await using var host = await DashboardHost.StartAsync(DatabasePath, App, DashboardHost.Anonymous());
        var api = JsonNode.Parse(await host.GetOkAsync("/distcron/api/jobs/" + Uri.EscapeDataString(Evil)))!;
        var cli = await RunCliAsync("jobs", "--json");
        Assert.True(cli.Succeeded, cli.Output);
        var fromCli = JsonNode.Parse(cli.Output)!["jobs"]!.AsArray().Single(j => j!["name"]!.GetValue<string>() == Evil)!;
        Assert.True(JsonNode.DeepEquals(fromCli, api["job"]), $"CLI:\n{fromCli}\nAPI:\n{api["job"]}");
        Assert.Equal(1, api["formatVersion"]!.GetValue<int>());
        Assert.Equal("job", api["command"]!.GetValue<string>());
        Assert.Equal(App, api["app"]!.GetValue<string>());
        Assert.Equal(Evil, api["job"]!["lastRun"]!["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_jobs_declaration_and_a_nodes_versions_are_in_the_documents_null_when_unknown()
    {
        await using var host = await DashboardHost.StartAsync(DatabasePath, App, DashboardHost.Anonymous());
        var nightly = JsonNode.Parse(await host.GetOkAsync("/distcron/api/jobs/nightly"))!["job"]!;
        var expected = JsonNode.Parse("""
            {"declaringType": "Shop.Jobs.Reports", "methodName": "NightlyAsync", "addedInCode": false, "format": "standard",
             "misfire": "skip", "timeoutSeconds": 300, "retryDelaySeconds": 30, "maxRetries": 3,
             "overriddenBy": ["DistCron:Jobs:nightly:TimeZone"]}
            """);
        Assert.True(JsonNode.DeepEquals(expected, nightly["definition"]), nightly["definition"]?.ToJsonString());
        Assert.Null(nightly["definitionVersion"]);
        Assert.True(JsonNode.Parse(await host.GetOkAsync("/distcron/api/jobs/every5"))!["job"]!["definition"]!["addedInCode"]!.GetValue<bool>());
        var unknown = JsonNode.Parse(await host.GetOkAsync("/distcron/api/jobs/paused-job"))!["job"]!.AsObject();
        Assert.True(unknown.ContainsKey("definition"));
        Assert.Null(unknown["definition"]);

        var node = JsonNode.Parse(await host.GetOkAsync("/distcron/api/nodes"))!["nodes"]![0]!;
        Assert.Equal("1.4.0-" + Evil, node["libraryVersion"]!.GetValue<string>());
        Assert.Equal(202612070300, node["deploymentVersion"]!.GetValue<long>());
        Assert.Equal(".NET 10.0.1", node["runtime"]!.GetValue<string>());
    }

    [Fact]
    public async Task Unknown_jobs_and_bad_queries_are_json_errors_with_the_CLI_code_names()
    {
        await using var host = await DashboardHost.StartAsync(DatabasePath, App, DashboardHost.Anonymous());
        var (missing, body) = await host.GetAsync("/distcron/api/jobs/Nightly");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("application/json", missing.Content.Headers.ContentType!.MediaType);
        var error = JsonNode.Parse(body)!;
        Assert.Equal(1, error["formatVersion"]!.GetValue<int>());
        Assert.Equal("not_found", error["error"]!["code"]!.GetValue<string>());
        Assert.Contains("no job named 'Nightly'", error["error"]!["message"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, (await host.GetAsync("/distcron/api/jobs/Nightly/history")).Response.StatusCode);

        foreach (var query in new[] { "limit=0", "limit=1001", "limit=x", "before=-1", "status=exploded", "status=1" })
        {
            var (bad, badBody) = await host.GetAsync("/distcron/api/jobs/nightly/history?" + query);
            Assert.True(bad.StatusCode == HttpStatusCode.BadRequest, $"{query}: {(int)bad.StatusCode}");
            Assert.Equal("usage", JsonNode.Parse(badBody)!["error"]!["code"]!.GetValue<string>());
        }
    }

    private async Task AssertSameAsync(DashboardHost host, string path, params string[] cliArgs)
    {
        var api = Normalize(JsonNode.Parse(await host.GetOkAsync(path))!);
        var cli = await RunCliAsync(cliArgs);
        Assert.True(cli.Succeeded, cli.Output);
        var expected = Normalize(JsonNode.Parse(cli.Output)!);
        Assert.True(JsonNode.DeepEquals(expected, api), $"{path} differs from distcron {string.Join(' ', cliArgs)}\nCLI:\n{expected}\nAPI:\n{api}");
    }

    // The fields that depend on the instant of the read; each must still be there, with its type.
    private static JsonNode Normalize(JsonNode document)
    {
        Assert.NotNull(document["databaseTime"]?.GetValue<string>());
        document.AsObject().Remove("databaseTime");
        if (document["nodes"] is JsonArray nodes)
        {
            foreach (var node in nodes)
            {
                Assert.InRange(node!["heartbeatAgeSeconds"]!.GetValue<double>(), 0, 120);
                node.AsObject().Remove("heartbeatAgeSeconds");
            }
        }

        return document;
    }
}
