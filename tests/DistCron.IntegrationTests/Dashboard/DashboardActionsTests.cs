using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using DistCron.Dashboard;
using DistCron.Storage;
using DistCron.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace DistCron.Tests.Dashboard;

/// <summary>
/// The dashboard's actions on a real Kestrel host over a real SQLite file with a real DistCron node in the same host:
/// who may act, antiforgery, confirmation forms that work without script, and the audit trail they write.
/// </summary>
public sealed partial class DashboardActionsTests : DashboardTestBase
{
    private const string Reader = "rita";          // signed in, may look
    private const string Writer = "alice:writer";  // signed in, may act
    private const string Ticker = "ticker";        // the node's own job: yearly, so it runs only when triggered

    private readonly TaskCompletionSource _tickerRan = new(TaskCreationOptions.RunContinuationsAsynchronously);

    [Fact]
    public async Task A_read_only_user_sees_no_action_buttons_and_a_forged_post_is_forbidden()
    {
        await using var host = await StartAsync();

        var page = await SendAsync(host, HttpMethod.Get, "/distcron/jobs/nightly", Reader);
        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.DoesNotContain("/confirm/", page.Body);
        Assert.Contains("/confirm/pause", (await SendAsync(host, HttpMethod.Get, "/distcron/jobs/nightly", Writer)).Body);

        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(host, HttpMethod.Get, "/distcron/jobs/nightly/confirm/pause", Reader)).Status);
        // A forged POST (a token taken by a user who may act) is still refused for a reader.
        var token = await TokenAsync(host, "nightly", "pause", Writer);
        var forged = await PostFormAsync(host, "/distcron/jobs/nightly/actions/pause", Reader, new() { ["reason"] = "forged", [token.Field] = token.Value });
        Assert.Equal(HttpStatusCode.Forbidden, forged.Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(host, HttpMethod.Post, "/distcron/api/jobs/nightly/trigger", Reader)).Status);
        Assert.False((await RowAsync("nightly")).Paused);
        Assert.Empty(await ActionsAsync());
    }

    [Fact]
    public async Task A_dashboard_without_an_actions_policy_refuses_every_action()
    {
        await using var host = await DashboardHost.StartAsync(DatabasePath, App, DashboardHost.Anonymous(), configure: b => b.Services.AddAntiforgery());

        Assert.DoesNotContain("/confirm/", await host.GetOkAsync("/distcron/jobs/nightly"));
        Assert.Equal(HttpStatusCode.Forbidden, (await host.GetAsync("/distcron/jobs/nightly/confirm/trigger")).Response.StatusCode);
        var post = await host.Http.PostAsync("distcron/jobs/nightly/actions/pause", new FormUrlEncodedContent(new Dictionary<string, string> { ["reason"] = "x" }));
        Assert.Equal(HttpStatusCode.Forbidden, post.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await host.Http.PostAsync("distcron/api/jobs/nightly/pause", null)).StatusCode);
        Assert.False((await RowAsync("nightly")).Paused);
    }

    [Fact]
    public async Task A_post_without_a_valid_antiforgery_token_is_refused()
    {
        await using var host = await StartAsync();

        var none = await PostFormAsync(host, "/distcron/jobs/nightly/actions/pause", Writer, new() { ["reason"] = "no token" });
        Assert.Equal(HttpStatusCode.BadRequest, none.Status);
        var wrong = await PostFormAsync(host, "/distcron/jobs/nightly/actions/pause", Writer, new() { ["reason"] = "bad token", ["__RequestVerificationToken"] = "forged" });
        Assert.Equal(HttpStatusCode.BadRequest, wrong.Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(host, HttpMethod.Post, "/distcron/api/jobs/nightly/trigger", Writer)).Status);
        Assert.False((await RowAsync("nightly")).Paused);
        Assert.Null((await RowAsync("nightly")).TriggerRequestedAt);
        Assert.Empty(await ActionsAsync());
    }

    [Fact]
    public async Task Pause_needs_a_reason_and_shows_it_on_the_job_the_row_and_the_audit_page_then_resume_clears_it()
    {
        await using var host = await StartAsync();

        var noReason = await ConfirmAsync(host, "nightly", "pause", Writer, new() { ["reason"] = " " });
        Assert.Equal(HttpStatusCode.BadRequest, noReason.Status);
        Assert.False((await RowAsync("nightly")).Paused);

        var paused = await ConfirmAsync(host, "nightly", "pause", Writer, new() { ["reason"] = "backup <b>window</b>" });
        Assert.Equal(HttpStatusCode.SeeOther, paused.Status);
        Assert.Equal("/distcron/jobs/nightly", paused.Location);
        var row = await RowAsync("nightly");
        Assert.True(row.Paused);
        Assert.Equal("backup <b>window</b>", row.PauseReason);
        var audit = Assert.Single(await ActionsAsync());
        Assert.Equal(("alice", AuditAction.Pause, "nightly", "backup <b>window</b>"), (audit.Actor, audit.Action, audit.JobName, audit.Reason));

        Assert.Contains("backup &lt;b&gt;window&lt;/b&gt;", (await SendAsync(host, HttpMethod.Get, "/distcron/jobs/nightly", Writer)).Body);
        var auditPage = (await SendAsync(host, HttpMethod.Get, "/distcron/audit", Reader)).Body;
        Assert.Contains("<td>alice</td><td>pause</td>", auditPage);
        Assert.Contains("backup &lt;b&gt;window&lt;/b&gt;", auditPage);
        Assert.Contains("\"actor\": \"alice\"", (await SendAsync(host, HttpMethod.Get, "/distcron/api/audit", Reader)).Body);

        var resumed = await ConfirmAsync(host, "nightly", "resume", Writer, new() { ["reason"] = "backup done" });
        Assert.Equal(HttpStatusCode.SeeOther, resumed.Status);
        row = await RowAsync("nightly");
        Assert.False(row.Paused);
        Assert.Null(row.PauseReason);
        Assert.Equal((AuditAction.Resume, "alice", "backup done"), (await ActionsAsync()) is [var last, ..] ? (last.Action, last.Actor, last.Reason) : default);
    }

    [Fact]
    public async Task A_pause_with_an_end_is_resumed_by_the_node_once_the_end_passes()
    {
        await using var host = await StartAsync();
        await Eventually.TrueAsync(async () => (await Store.ListJobsAsync(App, Ct)).Any(j => j.Name == Ticker), "the node seeded its job");
        var until = (await Store.GetDatabaseTimeAsync(Ct)).AddSeconds(2).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture);

        var paused = await ConfirmAsync(host, Ticker, "pause", Writer, new() { ["reason"] = "short maintenance", ["until"] = until });
        Assert.Equal(HttpStatusCode.SeeOther, paused.Status);
        var row = await RowAsync(Ticker);
        Assert.True(row.Paused);
        Assert.NotNull(row.PauseUntil);

        await Eventually.TrueAsync(async () => !(await RowAsync(Ticker)).Paused, "the node ends the timed pause", TimeSpan.FromSeconds(30));
        var resume = (await ActionsAsync())[0];
        Assert.Equal((AuditAction.Resume, Ticker), (resume.Action, resume.JobName));
        Assert.StartsWith("distcron-node:", resume.Actor);
        Assert.True((await RowAsync(Ticker)).NextDueAt > row.PauseUntil, "resumed at its next occurrence after the end");
    }

    [Fact]
    public async Task Trigger_now_runs_the_job_on_the_node_and_is_audited()
    {
        await using var host = await StartAsync();
        await Eventually.TrueAsync(async () => (await Store.ListJobsAsync(App, Ct)).Any(j => j.Name == Ticker), "the node seeded its job");

        var triggered = await ConfirmAsync(host, Ticker, "trigger", Writer, new() { ["reason"] = "rerun after fix" });
        Assert.Equal(HttpStatusCode.SeeOther, triggered.Status);

        await _tickerRan.Task.WaitAsync(TimeSpan.FromSeconds(60));
        await Eventually.TrueAsync(async () => (await Store.GetHistoryAsync(App, Ticker, 5, Ct)).Any(r => r.IsManualTrigger), "the manual run is recorded");
        var audit = (await ActionsAsync())[0];
        Assert.Equal((AuditAction.Trigger, Ticker, "alice", "rerun after fix"), (audit.Action, audit.JobName, audit.Actor, audit.Reason));
    }

    [Fact]
    public async Task The_api_acts_with_the_antiforgery_header_and_answers_with_the_cli_job_document()
    {
        await using var host = await StartAsync();
        var token = await SendAsync(host, HttpMethod.Get, "/distcron/api/antiforgery", Writer);
        Assert.Equal(HttpStatusCode.OK, token.Status);
        var json = System.Text.Json.Nodes.JsonNode.Parse(token.Body)!;

        using var request = new HttpRequestMessage(HttpMethod.Post, "distcron/api/jobs/nightly/pause")
        {
            Content = new StringContent("""{"reason":"from a script"}""", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Test-User", Writer);
        request.Headers.Add((string)json["headerName"]!, (string)json["token"]!);
        var response = await host.Http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        var document = System.Text.Json.Nodes.JsonNode.Parse(body)!;
        Assert.Equal("pause", (string)document["command"]!);
        Assert.Equal("from a script", (string)document["job"]!["pauseReason"]!);
        Assert.Equal("paused", (string)document["job"]!["state"]!);
    }

    // ---------------------------------------------------------------- host and helpers

    // The test users' dashboard, plus a node that runs the ticker job.
    private Task<DashboardHost> StartAsync() => TestUsers.StartAsync(DatabasePath, App,
        also: builder =>
        {
            builder.Services.AddDistCron(o =>
            {
                o.UseSqlite(DatabasePath);
                o.App = App;
                o.PollInterval = TimeSpan.FromMilliseconds(300);
                o.LeaseDuration = TimeSpan.FromSeconds(2);
                o.HeartbeatInterval = TimeSpan.FromMilliseconds(500);
                o.AddJobs([new JobDefinition(Ticker, "0 0 1 1 *", CronFormat.Standard, "UTC", MisfirePolicy.RunOnce, null, null, 0, "ticker-h1",
                    "DistCron.Tests.Dashboard.Jobs", Ticker, (_, _, _) => { _tickerRan.TrySetResult(); return ValueTask.CompletedTask; })]);
            });
        });

    // The audit rows of this test's actions (the base class seeds its state through unattributed store calls).
    private async Task<IReadOnlyList<AuditRecord>> ActionsAsync() =>
        (await Store.QueryAuditAsync(App, new AuditQuery(), Ct)).Where(a => a.Actor != OperatorAction.Unattributed.Actor).ToList();

    private async Task<JobRow> RowAsync(string name) => (await Store.ListJobsAsync(App, Ct)).Single(j => j.Name == name);

    private sealed record Answer(HttpStatusCode Status, string Body, string? Location);

    private static async Task<Answer> SendAsync(DashboardHost host, HttpMethod method, string path, string user)
    {
        using var request = new HttpRequestMessage(method, path.TrimStart('/'));
        request.Headers.Add("X-Test-User", user);
        var response = await host.Http.SendAsync(request);
        return new Answer(response.StatusCode, await response.Content.ReadAsStringAsync(), response.Headers.Location?.OriginalString);
    }

    private static async Task<Answer> PostFormAsync(DashboardHost host, string path, string user, Dictionary<string, string> fields)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path.TrimStart('/')) { Content = new FormUrlEncodedContent(fields) };
        request.Headers.Add("X-Test-User", user);
        var response = await host.Http.SendAsync(request);
        return new Answer(response.StatusCode, await response.Content.ReadAsStringAsync(), response.Headers.Location?.OriginalString);
    }

    /// <summary>Opens the confirmation page (as a browser without script would) and reads its form's hidden token.</summary>
    private static async Task<(string Field, string Value, string Action)> TokenAsync(DashboardHost host, string job, string verb, string user)
    {
        var page = await SendAsync(host, HttpMethod.Get, $"/distcron/jobs/{Uri.EscapeDataString(job)}/confirm/{verb}", user);
        Assert.True(page.Status == HttpStatusCode.OK, page.Body);
        var hidden = HiddenInput().Match(page.Body);
        Assert.True(hidden.Success, page.Body);
        var action = FormAction().Match(page.Body);
        Assert.True(action.Success, page.Body);
        return (hidden.Groups[1].Value, WebUtility.HtmlDecode(hidden.Groups[2].Value), WebUtility.HtmlDecode(action.Groups[1].Value));
    }

    /// <summary>Confirms an action through its page's form: the confirmation page's token, posted to the form's action.</summary>
    private static async Task<Answer> ConfirmAsync(DashboardHost host, string job, string verb, string user, Dictionary<string, string> fields)
    {
        var (field, value, action) = await TokenAsync(host, job, verb, user);
        fields[field] = value;
        return await PostFormAsync(host, action, user, fields);
    }

    [GeneratedRegex("""<input type="hidden" name="([^"]+)" value="([^"]+)">""")]
    private static partial Regex HiddenInput();

    [GeneratedRegex("""<form class="action" method="post" action="([^"]+)">""")]
    private static partial Regex FormAction();
}
