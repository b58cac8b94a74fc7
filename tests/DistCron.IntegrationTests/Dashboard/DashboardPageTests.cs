using System.Net;
using System.Text.RegularExpressions;
using DistCron.Dashboard;
using DistCron.Storage;
using Microsoft.AspNetCore.Builder;

namespace DistCron.Tests.Dashboard;

/// <summary>Each page over real seeded data, served by Kestrel: content, encoding, security headers, path base.</summary>
public sealed partial class DashboardPageTests : DashboardTestBase
{
    private static readonly string EvilPath = "/distcron/jobs/" + Uri.EscapeDataString(Evil);

    private static string[] Pages => ["/distcron", "/distcron/jobs", "/distcron/jobs/nightly", EvilPath, "/distcron/nodes", "/distcron/jobs?state=failing&q=NIGHT&sort=last"];

    [Fact]
    public async Task The_overview_counts_the_jobs_by_state_and_lists_live_nodes_and_failures()
    {
        await using var host = await DashboardHost.StartAsync(DatabasePath, App, DashboardHost.Anonymous());
        var html = await host.GetOkAsync("/distcron");
        Assert.Equal("4", Count(html, "jobs"));
        Assert.Equal("2", Count(html, "failing")); // nightly and the script-named job: their last run failed
        Assert.Equal("1", Count(html, "paused"));
        Assert.Equal("0", Count(html, "running"));
        Assert.Equal("0", Count(html, "errored"));
        Assert.Equal("0", Count(html, "overdue"));
        Assert.Equal("1", Count(html, "live nodes"));
        Assert.Contains("<strong>node-a</strong> on host-a", html);
        Assert.Contains("disk full", html);
        Assert.Contains("href=\"/distcron/jobs?state=failing\"", html);
    }

    [Fact]
    public async Task The_jobs_page_searches_filters_sorts_and_pages()
    {
        await using var host = await DashboardHost.StartAsync(DatabasePath, App,
            web => web.MapDistCronDashboard("/distcron", o => o.PageSize = 2).AllowAnonymous());
        var all = await host.GetOkAsync("/distcron/jobs");
        Assert.Contains("4 of 4 job(s)", all);
        Assert.Contains("Page 1 of 2", all);
        Assert.Contains("<a href=\"/distcron/jobs/every5\">every5</a>", all); // by name: every5 first
        Assert.Contains("rel=\"next\"", all);
        // Keyset paging: the next page is the one after the first page's last row, whatever page number is asked.
        Assert.Contains(">every5</a>", await host.GetOkAsync("/distcron/jobs?page=2"));
        var next = Regex.Match(all, "href=\"(/distcron/jobs\\?[^\"]*after=[^\"]+)\" rel=\"next\"").Groups[1].Value;
        Assert.NotEmpty(next);
        var second = await host.GetOkAsync(WebUtility.HtmlDecode(next));
        Assert.Contains("Page 2 of 2", second);
        Assert.Contains("rel=\"first\"", second);
        Assert.DoesNotContain("rel=\"next\"", second);
        Assert.Contains("<a href=\"/distcron/jobs/paused-job\">paused-job</a>", second);
        Assert.DoesNotContain(">every5</a>", second);

        var failing = await host.GetOkAsync("/distcron/jobs?q=NIGHT&state=failing");
        Assert.Contains("1 of 4 job(s)", failing);
        Assert.Contains("Europe/Paris", failing);
        Assert.Contains("disk full", failing);
        Assert.Contains("<option value=\"failing\" selected>", failing);

        var paused = await host.GetOkAsync("/distcron/jobs?state=paused");
        Assert.Contains("1 of 4 job(s)", paused);
        Assert.Contains("badge-paused", paused);
        var triggered = await host.GetOkAsync("/distcron/jobs?q=every5");
        Assert.Contains("badge-triggered", triggered);
    }

    [Fact]
    public async Task A_disabled_job_and_the_deployment_version_that_wrote_a_definition_show_as_badges()
    {
        var due = (await Store.GetDatabaseTimeAsync(Ct)).AddDays(1);
        await Store.SeedAsync(App, [new SeedJob("switched-off", "0 6 * * *", "UTC", "h6", due) { Disabled = true }], Ct);
        await Store.SeedAsync(App, [new SeedJob("released", "0 7 * * *", "UTC", "h7", due, DefinitionVersion: 42)], Ct);
        await using var host = await DashboardHost.StartAsync(DatabasePath, App, web => web.MapDistCronDashboard("/distcron").AllowAnonymous());

        var jobs = await host.GetOkAsync("/distcron/jobs");
        // In the job's own row.
        Assert.Matches("<tr>(?:(?!</tr>).)*switched-off</a>(?:(?!</tr>).)*<span class=\"badge badge-disabled\">disabled</span>", Regex.Replace(jobs, "\\s+", " "));
        Assert.Contains("<span class=\"badge badge-version\" title=\"Definition written by DeploymentVersion 42\">v42</span>", jobs);
        Assert.Contains("badge-disabled", await host.GetOkAsync("/distcron/jobs?state=disabled"));
        Assert.Contains("v42</span>", await host.GetOkAsync("/distcron/jobs/released"));
        Assert.DoesNotContain("badge-version", await host.GetOkAsync("/distcron/jobs/nightly"));
    }

    [Fact]
    public async Task The_job_page_shows_where_the_job_is_declared_its_options_and_hash_read_from_the_store()
    {
        await using var host = await DashboardHost.StartAsync(DatabasePath, App, DashboardHost.Anonymous());
        var nightly = Section(await host.GetOkAsync("/distcron/jobs/nightly"), "definition");
        Assert.Contains("<dt>Declared by</dt><dd><code>Shop.Jobs.Reports.NightlyAsync</code></dd>", nightly);
        Assert.Contains("<dt>Schedule</dt><dd><code>0 3 * * *</code> (five fields)</dd>", nightly);
        Assert.Contains("<dt>Time zone</dt><dd>Europe/Paris</dd>", nightly);
        Assert.Contains("<dt>Misfire policy</dt><dd>Skip</dd>", nightly);
        Assert.Contains("<dt>Timeout</dt><dd>5m 0s</dd>", nightly);
        Assert.Contains("<dt>Retry delay</dt><dd>30s</dd>", nightly);
        Assert.Contains("<dt>Max retries</dt><dd>3</dd>", nightly);
        Assert.Contains("<dt>Enabled</dt><dd>yes</dd>", nightly);
        Assert.Contains("<code class=\"chip\">DistCron:Jobs:nightly:TimeZone</code>", nightly);
        Assert.Contains("<dt>Definition hash</dt><dd><code>h1</code></dd>", nightly);

        var added = Section(await host.GetOkAsync("/distcron/jobs/every5"), "definition");
        Assert.Contains("registered in code with <code>DistCronOptions.AddJob</code>", added);
        Assert.Contains("<dt>From configuration</dt><dd>no: the declaration's own values</dd>", added);
        Assert.Contains("<dt>Timeout</dt><dd>none</dd>", added);

        var unknown = Section(await host.GetOkAsync("/distcron/jobs/paused-job"), "definition");
        Assert.Contains("<dt>Misfire policy</dt><dd>unknown</dd>", unknown);
        Assert.Contains("<dt>Definition hash</dt><dd><code>h4</code></dd>", unknown);

        var evil = Section(await host.GetOkAsync(EvilPath), "definition");
        Assert.Contains($"<code>Shop.{EvilEncoded}.Run</code>", evil);
        Assert.Contains($"DistCron:Jobs:{EvilEncoded}:Schedule", evil);
        Assert.DoesNotContain("<script>", evil);
    }

    [Fact]
    public async Task The_nodes_page_shows_each_nodes_versions_encoded_and_unknown_for_an_older_node()
    {
        // A node registered by an older DistCron reports no versions.
        await Store.RegisterNodeAsync(new NodeInfo(App, "node-old", "host-b", 7, ["nightly"]), TimeSpan.FromMinutes(1), Ct);
        await using var host = await DashboardHost.StartAsync(DatabasePath, App, DashboardHost.Anonymous());
        var html = Section(await host.GetOkAsync("/distcron/nodes"), "nodes");
        Assert.Contains("<th scope=\"col\">Version</th>", html);
        Assert.Contains($"DistCron 1.4.0-{EvilEncoded}<br>deployment 202612070300<br><span class=\"age\">.NET 10.0.1</span>", html);
        Assert.Contains("<span class=\"empty\">unknown</span>", html);
        Assert.DoesNotContain("<script>", html);
    }

    // The element with this id, up to its closing tag (the page's sections do not nest).
    private static string Section(string html, string id)
    {
        var start = html.IndexOf($"<section id=\"{id}\"", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no section '{id}' in:\n{html}");
        return html[start..(html.IndexOf("</section>", start, StringComparison.Ordinal) + "</section>".Length)];
    }

    [Fact]
    public async Task The_job_page_shows_its_definition_last_run_next_occurrences_and_keyset_paged_history()
    {
        await using var host = await DashboardHost.StartAsync(DatabasePath, App,
            web => web.MapDistCronDashboard("/distcron", o => o.PageSize = 1).AllowAnonymous());
        var html = await host.GetOkAsync("/distcron/jobs/nightly");
        Assert.Contains("<code>0 3 * * *</code>", html);
        Assert.Contains("<dd>Europe/Paris</dd>", html);
        Assert.Contains("<pre class=\"error\">disk full</pre>", html);
        Assert.Contains("on node-a", html);
        Assert.Contains("took 1.5s", html);
        Assert.Contains("Next 10 occurrences in Europe/Paris", html);
        var occurrences = OccurrenceRegex().Matches(html).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(10, occurrences.Count);
        // 03:00 Paris time, with Paris's offset on that date (+01:00 in winter, +02:00 in summer).
        Assert.All(occurrences, o => Assert.Matches(@"^\d{4}-\d\d-\d\d 03:00:00 \+0[12]:00$", o));

        // Newest first, one per page: the failure, then (keyset: before its id) the success.
        Assert.Contains("status-failed", HistorySection(html));
        var older = Regex.Match(html, "href=\"(/distcron/jobs/nightly\\?before=\\d+)\" rel=\"next\"").Groups[1].Value;
        Assert.NotEmpty(older);
        var page2 = await host.GetOkAsync(WebUtility.HtmlDecode(older));
        Assert.Contains("status-succeeded", HistorySection(page2));
        Assert.DoesNotContain("status-failed", HistorySection(page2));

        var failures = await host.GetOkAsync("/distcron/jobs/nightly?status=failed");
        Assert.Contains("disk full", HistorySection(failures));
        var successes = await host.GetOkAsync("/distcron/jobs/nightly?status=succeeded");
        Assert.DoesNotContain("disk full", HistorySection(successes));

        var (missing, body) = await host.GetAsync("/distcron/jobs/nope");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("no job named &#39;nope&#39;", body);
    }

    [Fact]
    public async Task The_nodes_page_shows_live_and_silent_nodes_with_their_jobs()
    {
        await Store.RegisterNodeAsync(new Storage.NodeInfo(App, "node-old", "host-b", 7, ["nightly"]), TimeSpan.FromMinutes(1), Ct);
        await using var host = await DashboardHost.StartAsync(DatabasePath, App,
            web => web.MapDistCronDashboard("/distcron", o => o.NodeLiveWindow = TimeSpan.FromHours(1)).AllowAnonymous());
        var html = await host.GetOkAsync("/distcron/nodes");
        Assert.Contains("<h2>Live (2)</h2>", html);
        Assert.Contains("<td class=\"nowrap\">node-a</td><td class=\"nowrap\">host-a</td><td>4242</td>", html);
        Assert.Contains("<a class=\"chip\" href=\"/distcron/jobs/every5\">every5</a>", html);
        Assert.Contains("<h2>Silent (0)</h2>", html);

        await using var strict = await DashboardHost.StartAsync(DatabasePath, App,
            web => web.MapDistCronDashboard("/distcron", o => o.NodeLiveWindow = TimeSpan.FromMilliseconds(1)).AllowAnonymous());
        await Task.Delay(50); // a heartbeat older than a 1 ms window
        var silent = await strict.GetOkAsync("/distcron/nodes");
        Assert.Contains("<h2>Live (0)</h2>", silent);
        Assert.Contains("<h2>Silent (2)</h2>", silent);
    }

    [Fact]
    public async Task A_script_in_a_job_name_or_an_error_is_shown_only_encoded()
    {
        await using var host = await DashboardHost.StartAsync(DatabasePath, App, DashboardHost.Anonymous());
        foreach (var page in Pages)
        {
            var html = await host.GetOkAsync(page);
            Assert.DoesNotContain("<script>", html);
            Assert.DoesNotContain("<b>", html);
        }

        var detail = await host.GetOkAsync(EvilPath);
        Assert.Contains($"<h1>{EvilEncoded}</h1>", detail);
        Assert.Contains($"<pre class=\"error\">{EvilEncoded}</pre>", detail);
        Assert.Contains("&lt;b&gt;EvilException&lt;/b&gt;", detail);
        var jobs = await host.GetOkAsync("/distcron/jobs");
        Assert.Contains($">{EvilEncoded}</a>", jobs);
        Assert.Contains("href=\"/distcron/jobs/%3Cscript%3Ealert%281%29%3C%2Fscript%3E\"", jobs);
        Assert.Contains(EvilEncoded, await host.GetOkAsync("/distcron"));
        Assert.Contains(EvilEncoded, await host.GetOkAsync("/distcron/nodes"));
    }

    [Fact]
    public async Task Every_response_has_a_strict_content_security_policy_and_no_page_has_inline_script_or_style()
    {
        await using var host = await DashboardHost.StartAsync(DatabasePath, App, DashboardHost.Anonymous());
        foreach (var page in Pages)
        {
            var (response, html) = await host.GetAsync(page);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var csp = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
            Assert.Contains("default-src 'self'", csp);
            Assert.Contains("script-src 'self'", csp);
            Assert.Contains("style-src 'self'", csp);
            Assert.DoesNotContain("unsafe-inline", csp);
            Assert.DoesNotContain("unsafe-eval", csp);
            Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());

            // Every script is a file of this origin; no style element, style attribute or event-handler attribute.
            var scripts = Regex.Matches(html, "<script\\b[^>]*>", RegexOptions.IgnoreCase).Select(m => m.Value).ToList();
            Assert.Equal([$"<script src=\"{ScriptSource(html)}\" defer>"], scripts);
            Assert.StartsWith("/distcron/assets/dashboard.js?v=", ScriptSource(html));
            Assert.DoesNotMatch("<style\\b", html);
            Assert.DoesNotMatch("\\sstyle\\s*=", html);
            Assert.DoesNotMatch("\\son[a-z]+\\s*=", html);
            Assert.DoesNotContain("javascript:", html);
            Assert.DoesNotContain("http://", html);
            Assert.DoesNotContain("https://", html);
        }

        // The assets come from the package, with their types and the same policy.
        var page1 = await host.GetOkAsync("/distcron");
        var css = Regex.Match(page1, "<link rel=\"stylesheet\" href=\"([^\"]+)\">").Groups[1].Value;
        var (cssResponse, cssBody) = await host.GetAsync(css);
        Assert.Equal(HttpStatusCode.OK, cssResponse.StatusCode);
        Assert.Equal("text/css", cssResponse.Content.Headers.ContentType!.MediaType);
        Assert.Contains(".badge", cssBody);
        var (jsResponse, jsBody) = await host.GetAsync(ScriptSource(page1));
        Assert.Equal(HttpStatusCode.OK, jsResponse.StatusCode);
        Assert.Equal("text/javascript", jsResponse.Content.Headers.ContentType!.MediaType);
        Assert.Contains("EventSource", jsBody);
        Assert.Contains("default-src 'self'", string.Join(";", jsResponse.Headers.GetValues("Content-Security-Policy")));
    }

    [Fact]
    public async Task Under_a_path_base_every_link_asset_and_the_event_stream_carry_it()
    {
        await using var host = await DashboardHost.StartAsync(DatabasePath, App, web =>
        {
            web.UsePathBase("/ops");
            DashboardHost.Anonymous()(web);
        });
        var html = await host.GetOkAsync("/ops/distcron/jobs");
        Assert.Contains("href=\"/ops/distcron/jobs/nightly\"", html);
        Assert.Contains("href=\"/ops/distcron/nodes\"", html);
        Assert.Contains("action=\"/ops/distcron/jobs\"", html);
        Assert.Contains("data-events=\"/ops/distcron/events\"", html);
        var links = Regex.Matches(html, "(?:href|src|action|data-events)=\"([^\"]*)\"").Select(m => m.Groups[1].Value).ToList();
        Assert.NotEmpty(links);
        Assert.All(links, link => Assert.StartsWith("/ops/distcron/", link + "/"));

        Assert.Equal(HttpStatusCode.OK, (await host.GetAsync(ScriptSource(html))).Response.StatusCode);
        var detail = await host.GetOkAsync("/ops/distcron/jobs/nightly");
        Assert.Contains("href=\"/ops/distcron/jobs/nightly?status=failed\"", detail);
        Assert.Contains("\"formatVersion\": 1", await host.GetOkAsync("/ops/distcron/api/jobs"));
    }

    private static string Count(string html, string label)
    {
        var match = Regex.Match(html, $"<span class=\"count\">(\\d+)</span> <span class=\"label\">{Regex.Escape(label)}</span>");
        Assert.True(match.Success, $"no '{label}' count");
        return match.Groups[1].Value;
    }

    private static string ScriptSource(string html) => WebUtility.HtmlDecode(Regex.Match(html, "<script src=\"([^\"]+)\"").Groups[1].Value);

    private static string HistorySection(string html) => html[html.IndexOf("<section id=\"history\"", StringComparison.Ordinal)..];

    [GeneratedRegex("<li><time datetime=\"[^\"]+\">([^<]+)</time>")]
    private static partial Regex OccurrenceRegex();
}
