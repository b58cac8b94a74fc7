using DistCron.Storage;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace DistCron.Tests.Browser;

/// <summary>
/// The dashboard over a realistic data set (jobs in several states, runs with a failure, two nodes, an audit trail):
/// each page is saved as an artifact; with DISTCRON_WRITE_DOCS_SCREENSHOTS=1 (never under CI=true) the same views
/// replace docs/images/dashboard-*.png. The accessibility checks run in the page tests (the markup is the same).
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class DocsScreenshotTests(Chromium chromium, DocsSite site, ITestOutputHelper output) : IClassFixture<DocsSite>
{
    [Fact]
    public async Task Every_page_over_a_realistic_data_set_renders_and_is_saved()
    {
        SetDefaultExpectTimeout(20_000);
        await using var context = await chromium.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 1280, Height = 800 },
            ColorScheme = ColorScheme.Light,
            Locale = "en-US",
            ExtraHTTPHeaders = new Dictionary<string, string> { [HeaderUsers.Header] = DashboardSite.Writer },
        });
        var page = await context.NewPageAsync();
        var dialogs = new List<string>();
        page.Dialog += async (_, dialog) => { dialogs.Add(dialog.Message); await dialog.DismissAsync(); };

        foreach (var (name, path, shows) in new[]
        {
            ("overview", "/", "The SMTP server did not answer"),
            ("jobs", "/jobs", "ledger-reconcile"),
            ("job", "/jobs/nightly-report", "The SMTP server did not answer"),
            ("nodes", "/nodes", "web-2"),
            ("audit", "/audit", "quarter-end freeze"),
        })
        {
            Assert.Equal(200, (await page.GotoAsync(site.Url(path)))!.Status);
            await Expect(page.Locator("main")).ToContainTextAsync(shows);
            await Expect(page.Locator("#live-status")).ToHaveTextAsync("live");
            await Screenshots.SaveAsync(page, "docs-" + name, output);
            if (Screenshots.WriteDocs) await Screenshots.SaveDocsAsync(page, name, output);
        }

        Assert.Empty(dialogs);
    }
}

/// <summary>What a small billing app's dashboard looks like after a day: the data behind the docs' screenshots.</summary>
public sealed class DocsSite : SqliteSite
{
    // No node of the test machine's own (its host name would be in the pictures): web-1 and web-2 are the fleet.
    private protected override bool RunsNode => false;

    private protected override async Task SeedAsync(IJobStore store)
    {
        var ct = CancellationToken.None;
        var due = await Seeding.InAnHourAsync(store);
        await store.SeedAsync(App,
        [
            new SeedJob("invoice-export", "0 * * * *", "UTC", "3f9a61c2", due),
            new SeedJob("nightly-report", "0 3 * * *", "Europe/Paris", "8b0e4d17", due),
            new SeedJob("cache-warmup", "*/5 * * * *", "UTC", "c41d7a90", due),
            new SeedJob("sync-crm", "*/15 * * * *", "UTC", "5e2b8f03", due),
            new SeedJob("ledger-reconcile", "30 1 * * 1-5", "America/New_York", "a7c3e5b9", due),
            new SeedJob("cleanup-temp", "0 4 * * *", "UTC", "1d6f0b48", due),
        ], ct);
        var deploy = new OperatorAction("deploy-bot", "smoke run after release 2.14");
        await Seeding.RecordRunAsync(store, App, "web-1", "invoice-export", RunStatus.Succeeded, TimeSpan.FromMilliseconds(1240), triggeredBy: deploy);
        await Seeding.RecordRunAsync(store, App, "web-2", "invoice-export", RunStatus.Succeeded, TimeSpan.FromMilliseconds(1410), triggeredBy: deploy);
        await Seeding.RecordRunAsync(store, App, "web-1", "nightly-report", RunStatus.Succeeded, TimeSpan.FromSeconds(42.3), triggeredBy: deploy);
        await Seeding.RecordRunAsync(store, App, "web-2", "nightly-report", RunStatus.Failed, TimeSpan.FromSeconds(30.1),
            "System.Net.Mail.SmtpException", "The SMTP server did not answer within 30 s (smtp.internal:587).", deploy);
        await Seeding.RecordRunAsync(store, App, "web-1", "sync-crm", RunStatus.Succeeded, TimeSpan.FromMilliseconds(3120), triggeredBy: deploy);
        await Seeding.RecordRunAsync(store, App, "web-2", "cache-warmup", RunStatus.Succeeded, TimeSpan.FromMilliseconds(380), triggeredBy: deploy);
        Assert.True(await store.PauseAsync(App, "ledger-reconcile", new OperatorAction("alice", "quarter-end freeze"), null, ct));
        Assert.True(await store.TriggerAsync(App, "cleanup-temp", new OperatorAction("bob", "disk at 91% on web-2"), ct));
        await store.RegisterNodeAsync(new NodeInfo(App, "web-1", "web-1", 811, ["invoice-export", "nightly-report", "cache-warmup", "sync-crm", "ledger-reconcile", "cleanup-temp"]), TimeSpan.FromMinutes(5), ct);
        await store.RegisterNodeAsync(new NodeInfo(App, "web-2", "web-2", 907, ["invoice-export", "nightly-report", "cache-warmup", "sync-crm", "ledger-reconcile", "cleanup-temp"]), TimeSpan.FromMinutes(5), ct);
    }
}
