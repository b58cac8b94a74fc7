using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using DistCron.Dashboard.Html;
using DistCron.Dashboard.Pages;
using DistCron.Storage;

namespace DistCron.Tests.Dashboard;

/// <summary>
/// The run statistics over real seeded runs, served by Kestrel: the overview's last hour (the base's three runs, two of
/// them failed, plus the runs recorded here), the job page's p50/p95 and duration chart, the JSON API, and the charts'
/// markup (well-formed SVG, no style attribute, every text encoded).
/// </summary>
public sealed partial class DashboardRunStatsTests : DashboardTestBase
{
    /// <summary>"every5" runs 20 times, taking 1 s … 20 s; run 5 fails and run 10 times out.</summary>
    private async Task RecordTwentyRunsAsync()
    {
        for (var i = 1; i <= 20; i++)
        {
            var status = i == 5 ? RunStatus.Failed : i == 10 ? RunStatus.TimedOut : RunStatus.Succeeded;
            await RecordTimedRunAsync("every5", status, TimeSpan.FromSeconds(i));
        }
    }

    private async Task RecordTimedRunAsync(string job, RunStatus status, TimeSpan duration)
    {
        Assert.True(await Store.TriggerAsync(App, job, Ct));
        var claim = Assert.Single((await Store.ClaimDueAsync(new ClaimRequest(App, "node-a", 1, TimeSpan.FromMinutes(1)), Ct)).Claimed);
        Assert.Equal(job, claim.Token.JobName);
        var started = await Store.GetDatabaseTimeAsync(Ct);
        Assert.True(await Store.CompleteAsync(new Completion(claim.Token, status, claim.OccurrenceAt, 1, started, duration,
            status == RunStatus.Succeeded ? null : "Boom", status == RunStatus.Succeeded ? null : "boom", null, null, 1, IsManualTrigger: true), Ct));
    }

    [Fact]
    public async Task The_overview_shows_the_last_hours_runs_and_failures_as_text_and_as_a_chart()
    {
        await RecordTwentyRunsAsync();
        await using var host = await DashboardHost.StartAsync(DatabasePath, App, DashboardHost.Anonymous());
        var html = await host.GetOkAsync("/distcron");

        // The base's 3 runs (2 failed) and these 20 (2 failed), all within the last minute by the database clock.
        Assert.Contains("<strong>23 runs, 4 failed in the last hour</strong>", html);
        Assert.Contains("busiest minute 23", html);
        var svg = Svg(html, "activity");
        Assert.Contains("role=\"img\"", svg);
        Assert.Contains("aria-labelledby=\"activity-title activity-desc\"", svg);
        Assert.Contains("<desc id=\"activity-desc\">23 runs, 4 failed in the last hour.", svg);
        // One bar, the last minute's, full height, with its failures drawn over it.
        Assert.Single(Regex.Matches(svg, "<rect class=\"bar-run\""));
        Assert.Contains("<rect class=\"bar-run\" x=\"591\" y=\"0\" width=\"8\" height=\"60\"/>", svg);
        Assert.Matches(": 23 runs, 4 failed</title>", svg);
        var failed = Regex.Match(svg, "<rect class=\"bar-failed\" x=\"591\" y=\"(\\d+)\" width=\"8\" height=\"(\\d+)\"/>");
        Assert.True(failed.Success, svg);
        Assert.Equal("10", failed.Groups[2].Value); // round(60 × 4 / 23)

        var api = JsonNode.Parse(await host.GetOkAsync("/distcron/api/stats"))!;
        Assert.Equal("stats", api["command"]!.GetValue<string>());
        Assert.Equal(App, api["app"]!.GetValue<string>());
        var activity = api["activity"]!;
        Assert.Equal(23, activity["runs"]!.GetValue<int>());
        Assert.Equal(4, activity["failures"]!.GetValue<int>());
        Assert.Equal(60, activity["bucketSeconds"]!.GetValue<double>());
        var buckets = activity["buckets"]!.AsArray();
        Assert.Equal(60, buckets.Count);
        Assert.Equal(23, buckets[59]!["runs"]!.GetValue<int>());
        Assert.Equal(4, buckets[59]!["failures"]!.GetValue<int>());
        Assert.Equal(activity["to"]!.GetValue<DateTimeOffset>(), buckets[59]!["end"]!.GetValue<DateTimeOffset>());
        Assert.Equal(activity["to"]!.GetValue<DateTimeOffset>() - TimeSpan.FromHours(1), activity["from"]!.GetValue<DateTimeOffset>());
    }

    [Fact]
    public async Task The_job_page_shows_p50_and_p95_of_the_last_runs_and_a_bar_per_run_coloured_by_outcome()
    {
        await RecordTwentyRunsAsync();
        await using var host = await DashboardHost.StartAsync(DatabasePath, App, DashboardHost.Anonymous());
        var html = await host.GetOkAsync("/distcron/jobs/every5");

        // Nearest rank over 1 s … 20 s: p50 is the 10th (10 s), p95 the 19th (19 s).
        Assert.Contains("<strong>p50 10s, p95 19s over the last 20 runs</strong> (2 failed)", html);
        Assert.Contains("Durations of the last 100 runs", html);
        Assert.Contains("N = 100: the job's last 100 finished runs, 20 recorded", html);
        var svg = Svg(html, "durations");
        Assert.Equal(18, Regex.Matches(svg, "<rect class=\"bar-succeeded\"").Count);
        Assert.Single(Regex.Matches(svg, "<rect class=\"bar-failed\""));
        Assert.Single(Regex.Matches(svg, "<rect class=\"bar-timedout\""));
        // Oldest on the left: the first bar is the 1 s run (height round(60 × 1/20) = 3), the 20th the 20 s run (60).
        Assert.Contains("<rect class=\"bar-succeeded\" x=\"1\" y=\"57\" width=\"8\" height=\"3\">", svg);
        Assert.Contains("<rect class=\"bar-succeeded\" x=\"191\" y=\"0\" width=\"8\" height=\"60\">", svg);
        Assert.Contains("<rect class=\"bar-failed\" x=\"41\" y=\"45\" width=\"8\" height=\"15\">", svg);
        Assert.Contains(": failed, 5s, finished ", svg);
        Assert.Contains("<title>p95 19s</title>", svg);

        var api = JsonNode.Parse(await host.GetOkAsync("/distcron/api/jobs/every5/stats"))!;
        Assert.Equal("job-stats", api["command"]!.GetValue<string>());
        var durations = api["durations"]!;
        Assert.Equal("every5", durations["job"]!.GetValue<string>());
        Assert.Equal(100, durations["window"]!.GetValue<int>());
        Assert.Equal(20, durations["runs"]!.GetValue<int>());
        Assert.Equal(2, durations["failures"]!.GetValue<int>());
        Assert.Equal(10, durations["p50Seconds"]!.GetValue<double>());
        Assert.Equal(19, durations["p95Seconds"]!.GetValue<double>());
        Assert.Equal("nearest-rank", durations["percentiles"]!.GetValue<string>());
        var recent = durations["recent"]!.AsArray();
        Assert.Equal(20, recent[0]!["durationSeconds"]!.GetValue<double>()); // newest first
        Assert.Equal("timedOut", recent[10]!["status"]!.GetValue<string>());

        // N from the query: the last 5 runs are 16 s … 20 s.
        var five = JsonNode.Parse(await host.GetOkAsync("/distcron/api/jobs/every5/stats?runs=5"))!["durations"]!;
        Assert.Equal((5, 18d, 20d), (five["runs"]!.GetValue<int>(), five["p50Seconds"]!.GetValue<double>(), five["p95Seconds"]!.GetValue<double>()));
        Assert.Equal(HttpStatusCode.BadRequest, (await host.GetAsync("/distcron/api/jobs/every5/stats?runs=0")).Response.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await host.GetAsync("/distcron/api/jobs/no-such-job/stats")).Response.StatusCode);
    }

    [Fact]
    public async Task The_stats_documents_equal_the_CLI_stats_json()
    {
        await RecordTwentyRunsAsync();
        await using var host = await DashboardHost.StartAsync(DatabasePath, App, DashboardHost.Anonymous());

        // The job's document depends on nothing but the runs: equal but for the instant of the read.
        await AssertSameAsync(await host.GetOkAsync("/distcron/api/jobs/every5/stats"), "stats", "every5", "--json");
        await AssertSameAsync(await host.GetOkAsync("/distcron/api/jobs/every5/stats?runs=7"), "stats", "every5", "--runs", "7", "--json");
        // The hour's window moves with the database's now: equal counts in every bucket (every run is a few seconds old).
        await AssertSameAsync(await host.GetOkAsync("/distcron/api/stats"), "stats", "--json");

        var text = await RunCliAsync("stats", "every5");
        Assert.True(text.Succeeded, text.Output);
        Assert.Contains("'every5': p50 10.000 s, p95 19.000 s over its last 20 runs (of up to 100; nearest rank), 2 failed", text.Output);
        var hour = await RunCliAsync("stats");
        Assert.True(hour.Succeeded, hour.Output);
        Assert.Contains("23 runs, 4 failed in the last hour", hour.Output);
    }

    private async Task AssertSameAsync(string api, params string[] cliArgs)
    {
        var cli = await RunCliAsync(cliArgs);
        Assert.True(cli.Succeeded, cli.Output);
        Assert.Equal(Comparable(cli.Output), Comparable(api));
    }

    // Without the fields that depend on the instant of the read: the envelope's databaseTime and the window's times.
    private static string Comparable(string json)
    {
        var document = JsonNode.Parse(json)!.AsObject();
        document.Remove("databaseTime");
        if (document["activity"] is JsonObject activity)
        {
            activity.Remove("from");
            activity.Remove("to");
            foreach (var bucket in activity["buckets"]!.AsArray())
            {
                bucket!.AsObject().Remove("start");
                bucket.AsObject().Remove("end");
            }
        }

        return document.ToJsonString();
    }

    [Fact]
    public async Task A_job_that_never_ran_says_so_and_its_stats_are_empty()
    {
        await using var host = await DashboardHost.StartAsync(DatabasePath, App, DashboardHost.Anonymous());
        var html = await host.GetOkAsync("/distcron/jobs/paused-job");
        Assert.Contains("No finished run yet: the figures cover the last 100 runs that ran", html);
        Assert.DoesNotContain("id=\"durations-title\"", html);
        var durations = JsonNode.Parse(await host.GetOkAsync("/distcron/api/jobs/paused-job/stats"))!["durations"]!;
        Assert.Equal(0, durations["runs"]!.GetValue<int>());
        Assert.Null(durations["p50Seconds"]);
        Assert.Null(durations["p95Seconds"]);
    }

    [Fact]
    public async Task The_script_named_jobs_page_shows_its_chart_with_the_name_encoded()
    {
        await using var host = await DashboardHost.StartAsync(DatabasePath, App, DashboardHost.Anonymous());
        var html = await host.GetOkAsync("/distcron/jobs/" + Uri.EscapeDataString(Evil));
        Assert.DoesNotContain(Evil, html);
        Assert.Contains("<strong>p50 1.5s, p95 1.5s over the last 1 run</strong> (1 failed)", html);
        Assert.Single(Regex.Matches(Svg(html, "durations"), "<rect class=\"bar-failed\""));
        var json = await host.GetOkAsync("/distcron/api/jobs/" + Uri.EscapeDataString(Evil) + "/stats");
        Assert.Equal(Evil, JsonNode.Parse(json)!["durations"]!["job"]!.GetValue<string>());
    }

    [Fact]
    public void The_charts_are_well_formed_svg_without_style_attributes_and_with_every_text_encoded()
    {
        var now = new DateTimeOffset(2026, 3, 29, 1, 30, 0, TimeSpan.Zero);
        var activity = RunActivity.FromCounts(now, TimeSpan.FromMinutes(1), 60, [(0, 1, 1), (30, 7, 0), (59, 3, 2)]);
        var stats = new DurationStats(100, [
            new RecentRun(3, RunStatus.TimedOut, now, TimeSpan.MaxValue),
            new RecentRun(2, RunStatus.Failed, now, TimeSpan.Zero),
            new RecentRun(1, RunStatus.Succeeded, now, TimeSpan.FromMilliseconds(1))]);
        var h = new HtmlBuilder();
        RunCharts.Activity(h, activity);
        RunCharts.Durations(h, stats);
        var markup = h.ToString();

        // The policy refuses style attributes: colours come from classes.
        Assert.DoesNotMatch("\\sstyle=", markup);
        // Each chart parsed as XML: a stray '<' or '&' from a hole would not parse. (The sections around them are HTML,
        // with boolean attributes such as data-live, and are not XML.)
        var svgs = Regex.Matches(markup, "<svg .*?</svg>", RegexOptions.Singleline).Select(m => XElement.Parse(m.Value)).ToList();
        Assert.Equal(2, svgs.Count);
        Assert.All(svgs, svg => Assert.Equal("img", (string?)svg.Attribute("role")));
        Assert.All(svgs, svg => Assert.NotNull(svg.Element("title")));
        Assert.All(svgs, svg => Assert.NotNull(svg.Element("desc")));
        Assert.Equal(3, svgs[0].Elements("g").Count());
        // The longest run is the full height; a zero-length one has no height; a 1 ms run against the longest still shows.
        var bars = svgs[1].Elements("rect").Select(r => (Class: (string)r.Attribute("class")!, Height: (int)r.Attribute("height")!)).ToList();
        Assert.Equal([("bar-succeeded", 1), ("bar-failed", 0), ("bar-timedout", 60)], bars);
        Assert.Contains("11 runs, 3 failed in the last hour", (string)svgs[0].Element("desc")!);
    }

    private static string Svg(string html, string id)
    {
        var match = Regex.Match(html, $"<svg [^>]*aria-labelledby=\"{id}-title {id}-desc\">.*?</svg>", RegexOptions.Singleline);
        Assert.True(match.Success, html);
        return match.Value;
    }
}
