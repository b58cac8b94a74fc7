using System.Text.RegularExpressions;
using Microsoft.Playwright;
using DistCron.Tests.Dashboard;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace DistCron.Tests.Browser;

/// <summary>
/// The dashboard in a real browser (headless Debian chromium through Playwright) against a real Kestrel host over a
/// real store: each page as an operator sees it (checked with axe-core and saved as a screenshot), the actions through
/// their confirmation pages with live updates over server-sent events, keyboard-only use, inert hostile text, a path
/// base and a prefix-stripping proxy, and the refusals a read-only, anonymous or forging browser gets. The HTTP-level
/// shapes of the same rules are in Dashboard/; these go through the pages.
/// </summary>
public abstract class DashboardBrowserTests : IAsyncLifetime
{
    private readonly Chromium _chromium;
    private readonly ITestOutputHelper _output;
    private readonly List<IBrowserContext> _contexts = [];
    private protected List<string> Dialogs { get; } = [];
    private readonly List<string> _consoleErrors = [];

    private protected DashboardBrowserTests(Chromium chromium, DashboardSite site, ITestOutputHelper output)
    {
        _chromium = chromium;
        Site = site;
        _output = output;
        // Auto-waiting expectations, never fixed sleeps: generous for two busy cores.
        SetDefaultExpectTimeout(20_000);
    }

    private protected DashboardSite Site { get; }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var context in _contexts) await context.DisposeAsync();
        // Any dialog at all means text from the store ran as script; a console error is most often a CSP violation.
        Assert.True(Dialogs.Count == 0, "A page opened a dialog: " + string.Join(", ", Dialogs));
        Assert.True(_consoleErrors.Count == 0, "The browser console has errors:\n" + string.Join("\n", _consoleErrors));
    }

    // ------------------------------------------------------------------ each page

    [Fact]
    public async Task Overview_counts_the_jobs_by_state_and_lists_live_nodes_and_recent_failures()
    {
        var page = await OpenAsync(DashboardSite.Writer, "/");
        await Expect(page).ToHaveTitleAsync(new Regex("^Overview"));
        await Expect(Card(page, "jobs")).ToHaveTextAsync("6 jobs");
        await Expect(Card(page, "paused")).ToHaveTextAsync("1 paused");
        await Expect(Card(page, "failing")).ToHaveTextAsync("2 failing");
        await Expect(Card(page, "errored")).ToHaveTextAsync("0 errored");
        await Expect(page.Locator("#live-nodes")).ToContainTextAsync("host-a");
        var failures = page.Locator("#recent-failures tbody tr");
        await Expect(failures).ToHaveCountAsync(2);
        await Expect(failures.Filter(new() { HasText = "nightly" })).ToContainTextAsync("disk full");
        await Expect(failures.Filter(new() { HasText = DashboardSite.Evil })).ToHaveCountAsync(1);
        await Expect(page.Locator("#live-status")).ToHaveTextAsync("live");

        // A card is a link to the jobs it counts.
        await Card(page, "paused").ClickAsync();
        await Expect(page).ToHaveURLAsync(Site.Url("/jobs?state=paused"));
        await Expect(JobRows(page)).ToHaveCountAsync(1);
        await Expect(JobRows(page)).ToContainTextAsync("paused-job");
        await page.GoBackAsync();
        await CheckAndSaveAsync(page, "overview");
    }

    [Fact]
    public async Task Jobs_lists_every_job_with_its_schedule_state_and_last_run_and_searches_and_filters()
    {
        var page = await OpenAsync(DashboardSite.Writer, "/jobs");
        await Expect(page.Locator("#jobs .summary")).ToHaveTextAsync("6 of 6 job(s)");
        var nightly = JobRow(page, "nightly");
        await Expect(nightly).ToContainTextAsync("0 3 * * *");
        await Expect(nightly).ToContainTextAsync("Europe/Paris");
        await Expect(nightly.Locator(".status")).ToHaveTextAsync("failed");
        await Expect(nightly).ToContainTextAsync("node-a");
        await Expect(nightly).ToContainTextAsync("disk full");
        await Expect(nightly.Locator(".badge-failing")).ToBeVisibleAsync();
        await Expect(JobRow(page, "paused-job").Locator(".badge-paused")).ToBeVisibleAsync();
        await Expect(JobRow(page, "every5").Locator(".badge-triggered")).ToBeVisibleAsync();
        await CheckAndSaveAsync(page, "jobs");

        // The filter form is a plain GET form: search by name, then filter by state.
        var name = page.GetByRole(AriaRole.Searchbox, new() { Name = "Name" });
        await name.FillAsync("night");
        await page.GetByRole(AriaRole.Button, new() { Name = "Show" }).ClickAsync();
        await Expect(page.Locator("#jobs .summary")).ToHaveTextAsync("1 of 6 job(s)");
        await Expect(JobRows(page)).ToHaveCountAsync(1);
        await name.FillAsync("");
        await page.Locator("select[name=state]").SelectOptionAsync("failing");
        await page.GetByRole(AriaRole.Button, new() { Name = "Show" }).ClickAsync();
        await Expect(page.Locator("#jobs .summary")).ToHaveTextAsync("2 of 6 job(s)");
        await Expect(JobRow(page, "nightly")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task Job_detail_shows_the_definition_last_error_next_occurrences_and_history_with_a_failures_filter()
    {
        var page = await OpenAsync(DashboardSite.Writer, "/jobs");
        await page.GetByRole(AriaRole.Link, new() { Name = "nightly", Exact = true }).ClickAsync();
        await Expect(page).ToHaveURLAsync(Site.Url("/jobs/nightly"));
        await Expect(page.Locator("h1")).ToHaveTextAsync("nightly");
        var facts = page.Locator("#job dl");
        await Expect(facts).ToContainTextAsync("0 3 * * *");
        await Expect(facts).ToContainTextAsync("Europe/Paris");
        await Expect(facts.Locator("pre.error")).ToHaveTextAsync("disk full");
        await Expect(page.Locator("#definition dl")).ToContainTextAsync("h1"); // the definition hash
        await Expect(page.Locator("#occurrences li")).ToHaveCountAsync(10);
        var history = page.Locator("#history tbody tr");
        await Expect(history).ToHaveCountAsync(2);
        await Expect(history.First).ToContainTextAsync("System.IO.IOException disk full");
        await Expect(history.Last.Locator(".status")).ToHaveTextAsync("succeeded");
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Trigger now…" })).ToBeVisibleAsync();
        await CheckAndSaveAsync(page, "job");

        await page.Locator("#history nav.tabs").GetByRole(AriaRole.Link, new() { Name = "failed" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(Site.Url("/jobs/nightly?status=failed"));
        await Expect(history).ToHaveCountAsync(1);
        await Expect(history.Locator(".status")).ToHaveTextAsync("failed");
    }

    [Fact]
    public async Task Nodes_lists_live_and_silent_nodes_with_the_jobs_each_has_code_for()
    {
        var page = await OpenAsync(DashboardSite.Writer, "/nodes");
        var rows = page.Locator("#nodes tbody tr");
        var nodeA = rows.Filter(new() { HasText = "host-a" });
        await Expect(nodeA).ToContainTextAsync("4242");
        await Expect(nodeA.Locator("a.chip")).ToHaveTextAsync(["nightly", "every5", DashboardSite.Evil]);
        // The host's own node, live, with code for the ticker.
        await Expect(page.Locator("#nodes h2").First).ToContainTextAsync("Live");
        await Expect(rows.Filter(new() { Has = page.Locator("a.chip", new() { HasTextString = DashboardSite.Ticker }) })).ToHaveCountAsync(1);
        await CheckAndSaveAsync(page, "nodes");

        await nodeA.GetByRole(AriaRole.Link, new() { Name = "every5" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(Site.Url("/jobs/every5"));
    }

    [Fact]
    public async Task Audit_shows_who_did_what_to_which_job_and_why()
    {
        var page = await OpenAsync(DashboardSite.Writer, "/audit");
        var carol = page.Locator("#audit tbody tr").Filter(new() { HasText = "carol" });
        await Expect(carol.Locator("td")).ToHaveTextAsync([new Regex("."), new Regex("^carol$"), new Regex("^pause$"), new Regex("^paused-job$"), new Regex("—"), new Regex("^quarter close$")]);
        await CheckAndSaveAsync(page, "audit");
        await carol.GetByRole(AriaRole.Link, new() { Name = "paused-job" }).ClickAsync();
        await Expect(page.Locator("#job")).ToContainTextAsync("quarter close");
    }

    // ------------------------------------------------------------------ actions, live

    [Fact]
    public async Task Trigger_through_the_confirmation_page_and_the_run_appears_on_the_job_page_without_a_reload()
    {
        var page = await OpenAsync(DashboardSite.Writer, "/jobs/" + DashboardSite.Ticker);
        await Expect(page.Locator("#history")).ToContainTextAsync("No run recorded");
        await page.GetByRole(AriaRole.Link, new() { Name = "Trigger now…" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(Site.Url("/jobs/ticker/confirm/trigger"));
        await page.GetByLabel("Reason (optional)").FillAsync("rerun after fix");
        await page.GetByRole(AriaRole.Button, new() { Name = "Confirm trigger" }).ClickAsync();

        // Back on the job (303). The node has claimed the run and holds it until released: nothing is recorded yet.
        await Expect(page).ToHaveURLAsync(Site.Url("/jobs/ticker"));
        await Expect(page.Locator("#live-status")).ToHaveTextAsync("live");
        await Expect(page.Locator("#history")).ToContainTextAsync("No run recorded");
        await page.EvaluateAsync("() => { window.distcronSamePage = true; }");

        Site.ReleaseTicker();
        var run = page.Locator("#history tbody tr");
        await Expect(run).ToHaveCountAsync(1);
        await Expect(run).ToContainTextAsync("(manual)");
        await Expect(run.Locator(".status")).ToHaveTextAsync("succeeded");
        await Expect(page.Locator("#job .status")).ToHaveTextAsync("succeeded");
        Assert.True(await page.EvaluateAsync<bool>("() => window.distcronSamePage === true"), "the page was reloaded: the run did not arrive live");

        await page.GetByRole(AriaRole.Link, new() { Name = "Audit", Exact = true }).ClickAsync();
        var audit = page.Locator("#audit tbody tr").First.Locator("td");
        await Expect(audit).ToHaveTextAsync([new Regex("."), new Regex("^alice$"), new Regex("^trigger$"), new Regex("^ticker$"), new Regex("—"), new Regex("^rerun after fix$")]);
    }

    [Fact]
    public async Task Pause_needs_a_reason_shows_it_and_its_audit_row_and_resume_clears_it()
    {
        var page = await OpenAsync(DashboardSite.Writer, "/jobs/" + DashboardSite.Backup);
        await page.GetByRole(AriaRole.Link, new() { Name = "Pause…" }).ClickAsync();
        // The reason is required: the browser does not submit the form without one.
        await page.GetByRole(AriaRole.Button, new() { Name = "Confirm pause" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(Site.Url("/jobs/backup/confirm/pause"));
        Assert.False((await Site.JobAsync(DashboardSite.Backup)).Paused);

        await page.GetByLabel("Reason (required)").FillAsync("storage <b>migration</b>");
        await page.GetByRole(AriaRole.Button, new() { Name = "Confirm pause" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(Site.Url("/jobs/backup"));
        await Expect(page.Locator("#job .badge-paused")).ToBeVisibleAsync();
        await Expect(page.Locator("#job dl")).ToContainTextAsync("storage <b>migration</b>");
        Assert.True((await Site.JobAsync(DashboardSite.Backup)).Paused);

        await page.GetByRole(AriaRole.Link, new() { Name = "Audit", Exact = true }).ClickAsync();
        var row = page.Locator("#audit tbody tr").First.Locator("td");
        await Expect(row).ToHaveTextAsync([new Regex("."), new Regex("^alice$"), new Regex("^pause$"), new Regex("^backup$"), new Regex("—"), new Regex("^storage <b>migration</b>$")]);

        await page.Locator("#audit tbody tr").First.GetByRole(AriaRole.Link, new() { Name = "backup" }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Resume…" }).ClickAsync();
        await Expect(page.Locator("form.action")).ToContainTextAsync("Paused because: storage <b>migration</b>");
        await page.GetByLabel("Reason (optional)").FillAsync("migration done");
        await page.GetByRole(AriaRole.Button, new() { Name = "Confirm resume" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(Site.Url("/jobs/backup"));
        await Expect(page.Locator("#job .badge-paused")).ToHaveCountAsync(0);
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Pause…" })).ToBeVisibleAsync();
        Assert.False((await Site.JobAsync(DashboardSite.Backup)).Paused);
        await page.GetByRole(AriaRole.Link, new() { Name = "Audit", Exact = true }).ClickAsync();
        await Expect(page.Locator("#audit tbody tr").First.Locator("td").Nth(2)).ToHaveTextAsync("resume");
        await Expect(page.Locator("#audit tbody tr").First.Locator("td").Nth(5)).ToHaveTextAsync("migration done");
    }

    // ------------------------------------------------------------------ helpers

    private protected async Task<IBrowserContext> NewContextAsync(string? user)
    {
        var options = new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 1280, Height = 800 },
            ColorScheme = ColorScheme.Light,
            Locale = "en-US",
        };
        if (user is not null) options.ExtraHTTPHeaders = new Dictionary<string, string> { [HeaderAuthentication.Header] = user };
        var context = await _chromium.Browser.NewContextAsync(options);
        _contexts.Add(context);
        return context;
    }

    private protected async Task<IPage> NewPageAsync(IBrowserContext context)
    {
        var page = await context.NewPageAsync();
        page.Dialog += async (_, dialog) =>
        {
            lock (Dialogs) Dialogs.Add(dialog.Message);
            await dialog.DismissAsync();
        };
        page.Console += (_, message) =>
        {
            // Refused responses (401, 403, 400) are logged by the browser as failed loads: those are the point of the refusal tests.
            if (message.Type == "error" && !message.Text.StartsWith("Failed to load resource", StringComparison.Ordinal))
            {
                lock (_consoleErrors) _consoleErrors.Add(message.Text);
            }
        };
        page.PageError += (_, error) => { lock (_consoleErrors) _consoleErrors.Add(error); };
        return page;
    }

    private protected async Task<IPage> OpenAsync(string user, string relative)
    {
        var page = await NewPageAsync(await NewContextAsync(user));
        var response = await page.GotoAsync(Site.Url(relative));
        Assert.True(response!.Status == 200, $"GET {relative}: {response.Status}");
        return page;
    }

    /// <summary>
    /// Whether the page tests run axe-core: on one store only, since both render the same markup and axe is the slow
    /// part of a page test.
    /// </summary>
    private protected virtual bool ChecksAccessibility => false;

    /// <summary>
    /// Goes to a URL the server refuses (a 401 or 403 with no body, on which chromium shows its own error page and
    /// Playwright's navigation fails): the refused response.
    /// </summary>
    private protected static async Task<IResponse> GotoRefusedAsync(IPage page, string url) =>
        await page.RunAndWaitForResponseAsync(async () =>
        {
            try { await page.GotoAsync(url); }
            catch (PlaywrightException e) when (e.Message.Contains("ERR_HTTP_RESPONSE_CODE_FAILURE", StringComparison.Ordinal)) { }
        }, url);

    private async Task CheckAndSaveAsync(IPage page, string name)
    {
        if (ChecksAccessibility) await AxeCheck.AssertNoSeriousViolationsAsync(page, Site.Origin);
        await Screenshots.SaveAsync(page, $"{Site.StoreName}-{name}", _output);
    }

    private static ILocator Card(IPage page, string label) =>
        page.Locator("#counts .card a").Filter(new() { Has = page.Locator(".label", new() { HasTextRegex = new Regex($"^{Regex.Escape(label)}$") }) });

    private protected static ILocator JobRows(IPage page) => page.Locator("#jobs tbody tr");

    private protected static ILocator JobRow(IPage page, string name) =>
        JobRows(page).Filter(new() { Has = page.Locator("td:first-child a", new() { HasTextRegex = new Regex($"^{Regex.Escape(name)}$") }) });

    /// <summary>Presses Tab until the focus is on the element named <paramref name="name"/>, and checks the focus shows.</summary>
    private protected static async Task TabToAsync(IPage page, string name)
    {
        for (var presses = 0; presses < 60; presses++)
        {
            await page.Keyboard.PressAsync("Tab");
            var focused = await page.EvaluateAsync<string?>("() => document.activeElement?.textContent?.trim() ?? null");
            if (focused != name) continue;
            var outline = await page.EvaluateAsync<string>("() => { const s = getComputedStyle(document.activeElement); return s.outlineStyle + ' ' + s.outlineWidth; }");
            Assert.True(outline.StartsWith("solid", StringComparison.Ordinal) && !outline.EndsWith(" 0px", StringComparison.Ordinal),
                $"The focus on '{name}' is not visible (outline: {outline}).");
            return;
        }

        throw new Xunit.Sdk.XunitException($"Tab never reached '{name}' on {page.Url}.");
    }
}

/// <summary>
/// On SQLite, under a path base: every page test also runs axe-core, and the store-independent browser rules (keyboard,
/// hostile text, proxy prefix, refusals) run here only.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class SqliteDashboardBrowserTests(Chromium chromium, SqliteSite site, ITestOutputHelper output)
    : DashboardBrowserTests(chromium, site, output), IClassFixture<SqliteSite>
{
    private protected override bool ChecksAccessibility => true;

    [Fact]
    public async Task The_accessibility_check_fails_on_a_serious_violation()
    {
        var page = await OpenAsync(DashboardSite.Writer, "/jobs");
        // An input without a label, added the way a regression in a page would add it.
        await page.Locator("main").EvaluateAsync("main => main.appendChild(document.createElement('input'))");
        var failure = await Assert.ThrowsAsync<Xunit.Sdk.XunitException>(() => AxeCheck.AssertNoSeriousViolationsAsync(page, Site.Origin));
        Assert.Contains("- label (critical)", failure.Message, StringComparison.Ordinal);
        Assert.Contains("https://dequeuniversity.com/rules/axe/", failure.Message, StringComparison.Ordinal);
    }

    // ------------------------------------------------------------------ keyboard, hostile text

    [Fact]
    public async Task The_keyboard_alone_reaches_the_jobs_page_a_job_and_its_trigger_with_visible_focus()
    {
        var page = await OpenAsync(DashboardSite.Writer, "/");
        await TabToAsync(page, "Jobs");
        await page.Keyboard.PressAsync("Enter");
        await Expect(page).ToHaveURLAsync(Site.Url("/jobs"));
        await TabToAsync(page, "nightly");
        await page.Keyboard.PressAsync("Enter");
        await Expect(page).ToHaveURLAsync(Site.Url("/jobs/nightly"));
        await TabToAsync(page, "Trigger now…");
        await page.Keyboard.PressAsync("Enter");
        await Expect(page).ToHaveURLAsync(Site.Url("/jobs/nightly/confirm/trigger"));
        await TabToAsync(page, "Confirm trigger");
    }

    [Fact]
    public async Task A_job_whose_name_and_last_error_are_a_script_tag_renders_them_as_text()
    {
        var page = await OpenAsync(DashboardSite.Writer, "/jobs");
        var link = page.GetByRole(AriaRole.Link, new() { Name = DashboardSite.Evil, Exact = true });
        await Expect(link).ToBeVisibleAsync();
        await Expect(JobRow(page, DashboardSite.Evil).Locator("td.error")).ToHaveTextAsync(DashboardSite.Evil);
        await link.ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync(DashboardSite.Evil);
        await Expect(page.Locator("#job pre.error")).ToHaveTextAsync(DashboardSite.Evil);
        await Expect(page.Locator("#history tbody tr")).ToContainTextAsync("<b>EvilException</b> " + DashboardSite.Evil);
        // The only script element is the dashboard's own.
        await Expect(page.Locator("script")).ToHaveCountAsync(1);
        await Expect(page.Locator("b")).ToHaveCountAsync(0);

        // The dialog listener works: a dialog opened on purpose is seen (and this one is not a failure).
        await page.EvaluateAsync("() => alert('probe')");
        Assert.Equal(["probe"], Dialogs);
        Dialogs.Clear();
    }

    // ------------------------------------------------------------------ path base and proxy

    [Fact]
    public async Task Behind_a_proxy_that_strips_a_prefix_and_sends_X_Forwarded_Prefix_every_link_and_the_live_stream_work()
    {
        var context = await NewContextAsync(DashboardSite.Writer);
        var origin = Site.Origin.GetLeftPart(UriPartial.Authority);
        // The proxy: /edge/... reaches the app without the prefix, which it names in X-Forwarded-Prefix.
        await context.RouteAsync(origin + "/edge/**", async route =>
        {
            var headers = new Dictionary<string, string>(route.Request.Headers) { ["X-Forwarded-Prefix"] = "/edge" };
            await route.ContinueAsync(new RouteContinueOptions { Url = origin + route.Request.Url[(origin.Length + "/edge".Length)..], Headers = headers });
        });
        var page = await NewPageAsync(context);
        var edge = origin + "/edge" + Site.Root;
        Assert.Equal(200, (await page.GotoAsync(edge + "/jobs"))!.Status);
        await Expect(page.Locator("#live-status")).ToHaveTextAsync("live");
        // The stylesheet loaded through the prefix: the header is laid out as a flex row.
        Assert.Equal("flex", await page.Locator("header.top").EvaluateAsync<string>("e => getComputedStyle(e).display"));
        await page.GetByRole(AriaRole.Link, new() { Name = "nightly", Exact = true }).ClickAsync();
        await Expect(page).ToHaveURLAsync(edge + "/jobs/nightly");
        await page.GetByRole(AriaRole.Link, new() { Name = "Pause…" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(edge + "/jobs/nightly/confirm/pause");
        await Expect(page.Locator("form.action")).ToHaveAttributeAsync("action", Site.Root.Insert(0, "/edge") + "/jobs/nightly/actions/pause");
        await page.GetByRole(AriaRole.Link, new() { Name = "Cancel" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(edge + "/jobs/nightly");
        await page.GetByRole(AriaRole.Link, new() { Name = "Overview" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(edge + "/");
    }

    // ------------------------------------------------------------------ refusals

    [Fact]
    public async Task A_read_only_user_sees_no_action_buttons_and_gets_403_on_a_forged_post()
    {
        var page = await OpenAsync(DashboardSite.Reader, "/jobs/nightly");
        await Expect(page.Locator("h1")).ToHaveTextAsync("nightly");
        await Expect(page.Locator("nav.actions")).ToHaveCountAsync(0);
        await Expect(page.Locator("a[href*='/confirm/']")).ToHaveCountAsync(0);
        await Expect(page.Locator("#live-status")).ToHaveTextAsync("live");

        // A form the user built themselves (as a forger's page would), posted by the browser with the user's sign-in.
        var forged = await page.RunAndWaitForResponseAsync(() => page.EvaluateAsync("""
            url => {
              const form = document.createElement("form");
              form.method = "post";
              form.action = url;
              const reason = document.createElement("input");
              reason.name = "reason";
              reason.value = "forged";
              form.appendChild(reason);
              document.body.appendChild(form);
              form.submit();
            }
            """, Site.Root + "/jobs/nightly/actions/pause"), r => r.Url.EndsWith("/actions/pause", StringComparison.Ordinal));
        Assert.Equal(403, forged.Status);
        Assert.Equal(403, (await GotoRefusedAsync(page, Site.Url("/jobs/nightly/confirm/pause"))).Status);
        Assert.False((await Site.JobAsync("nightly")).Paused);
    }

    [Fact]
    public async Task An_anonymous_browser_is_refused_every_page_and_the_event_stream()
    {
        var context = await NewContextAsync(user: null);
        var page = await NewPageAsync(context);
        foreach (var path in new[] { "/", "/jobs", "/jobs/nightly", "/nodes", "/audit", "/events" })
        {
            var response = await GotoRefusedAsync(page, Site.Url(path));
            Assert.True(response.Status == 401, $"{path}: {response.Status}");
            // The body, as the context's own request (the page shows chromium's error page instead).
            var direct = await context.APIRequest.GetAsync(Site.Url(path));
            Assert.Equal(401, direct.Status);
            Assert.DoesNotContain("nightly", await direct.TextAsync(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_confirmation_form_posted_without_its_antiforgery_token_is_refused()
    {
        var page = await OpenAsync(DashboardSite.Writer, "/jobs/nightly/confirm/pause");
        var token = page.Locator("form.action input[type=hidden]");
        await Expect(token).ToHaveCountAsync(1);
        await token.EvaluateAsync("input => input.remove()");
        await page.GetByLabel("Reason (required)").FillAsync("no token");
        var response = await page.RunAndWaitForResponseAsync(
            () => page.GetByRole(AriaRole.Button, new() { Name = "Confirm pause" }).ClickAsync(), r => r.Request.Method == "POST");
        Assert.Equal(400, response.Status);
        await Expect(page.Locator("main")).ToContainTextAsync("antiforgery token is missing or invalid");
        Assert.False((await Site.JobAsync("nightly")).Paused);
    }
}

/// <summary>On PostgreSQL (live updates through LISTEN/NOTIFY), mounted at the app's root.</summary>
[Collection(BrowserCollection.Name)]
public sealed class PostgresDashboardBrowserTests(Chromium chromium, PostgresSite site, ITestOutputHelper output)
    : DashboardBrowserTests(chromium, site, output), IClassFixture<PostgresSite>;
