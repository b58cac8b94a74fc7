using DistCron.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Playwright;
using DistCron.Tests.Dashboard;
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
            ExtraHTTPHeaders = new Dictionary<string, string> { [HeaderAuthentication.Header] = DashboardSite.Writer },
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
            if (name == "job")
            {
                // Below the fold of the job's picture: its durations, p50/p95 and the chart of its last runs.
                var durations = page.Locator("#durations");
                await Expect(durations).ToContainTextAsync("p95");
                if (Screenshots.WriteDocs) await Screenshots.SaveDocsAsync(durations, "job-durations", output);
            }
        }

        Assert.Empty(dialogs);
    }
}

/// <summary>
/// What a small billing app's dashboard looks like after a while: the data behind the docs' screenshots. Runs are
/// recorded the way a node records them (trigger, claim, fenced completion), then moved back in time in the SQLite file
/// so that the hour's chart and the nightly job's durations look like a day's work rather than one burst.
/// </summary>
public sealed class DocsSite : SqliteSite
{
    private const long Release = 214;

    private static readonly string[] AllJobs = ["invoice-export", "nightly-report", "cache-warmup", "sync-crm", "ledger-reconcile", "cleanup-temp"];

    // No node of the test machine's own (its host name would be in the pictures): web-1 and web-2 are the fleet.
    private protected override bool RunsNode => false;

    private static SeedJob Declared(string name, string schedule, string zone, string hash, DateTimeOffset due, string type, string method, TimeSpan? timeout = null, int retries = 0) =>
        new(name, schedule, zone, hash, due, Release)
        {
            Facts = new JobDefinitionInfo("Billing.Jobs." + type, method, CronFormat.Standard, MisfirePolicy.RunOnce, timeout,
                retries > 0 ? TimeSpan.FromMinutes(1) : null, retries),
        };

    private protected override async Task SeedAsync(IJobStore store)
    {
        var ct = CancellationToken.None;
        var due = await Seeding.InAnHourAsync(store);
        await store.SeedAsync(App,
        [
            Declared("invoice-export", "0 * * * *", "UTC", "3f9a61c2", due, "InvoiceJobs", "ExportAsync", TimeSpan.FromMinutes(10)),
            Declared("nightly-report", "0 3 * * *", "Europe/Paris", "8b0e4d17", due, "ReportJobs", "SendNightlyReportAsync", TimeSpan.FromMinutes(5), retries: 2),
            Declared("cache-warmup", "*/5 * * * *", "UTC", "c41d7a90", due, "CacheJobs", "WarmUpAsync"),
            Declared("sync-crm", "*/15 * * * *", "UTC", "5e2b8f03", due, "CrmJobs", "SyncAsync", TimeSpan.FromMinutes(2)),
            Declared("ledger-reconcile", "30 1 * * 1-5", "America/New_York", "a7c3e5b9", due, "LedgerJobs", "ReconcileAsync"),
            Declared("cleanup-temp", "0 4 * * *", "UTC", "1d6f0b48", due, "MaintenanceJobs", "CleanupTempFiles"),
        ], ct);

        // The nightly report's last 20 nights (one slow night), then tonight's failure.
        for (var night = 20; night >= 1; night--)
        {
            var seconds = night == 7 ? 71.8 : 38 + (night * 7 % 11);
            await RunAsync(store, night % 2 == 0 ? "web-1" : "web-2", "nightly-report", RunStatus.Succeeded, TimeSpan.FromSeconds(seconds), TimeSpan.FromDays(night));
        }

        // The last hour: the cache every 5 minutes, the CRM every 15 (one timeout), invoices on the hour.
        for (var minutesAgo = 58; minutesAgo >= 3; minutesAgo -= 5)
        {
            await RunAsync(store, minutesAgo % 10 == 3 ? "web-1" : "web-2", "cache-warmup", RunStatus.Succeeded, TimeSpan.FromMilliseconds(300 + minutesAgo * 7), TimeSpan.FromMinutes(minutesAgo));
            if (minutesAgo % 15 == 13)
            {
                var status = minutesAgo == 28 ? RunStatus.TimedOut : RunStatus.Succeeded;
                await RunAsync(store, "web-1", "sync-crm", status, status == RunStatus.TimedOut ? TimeSpan.FromMinutes(2) : TimeSpan.FromSeconds(3.1), TimeSpan.FromMinutes(minutesAgo),
                    status == RunStatus.TimedOut ? "System.TimeoutException" : null, status == RunStatus.TimedOut ? "The job ran past its 00:02:00 timeout." : null);
            }
        }

        await RunAsync(store, "web-2", "invoice-export", RunStatus.Succeeded, TimeSpan.FromMilliseconds(1410), TimeSpan.FromMinutes(4));
        var deploy = new OperatorAction("deploy-bot", "smoke run after release 2.14");
        await Seeding.RecordRunAsync(store, App, "web-2", "nightly-report", RunStatus.Failed, TimeSpan.FromSeconds(30.1),
            "System.Net.Mail.SmtpException", "The SMTP server did not answer within 30 s (smtp.internal:587).", deploy);
        Assert.True(await store.PauseAsync(App, "ledger-reconcile", new OperatorAction("alice", "quarter-end freeze"), null, ct));
        Assert.True(await store.TriggerAsync(App, "cleanup-temp", new OperatorAction("bob", "disk at 91% on web-2"), ct));
        foreach (var (node, pid) in new[] { ("web-1", 811), ("web-2", 907) })
        {
            await store.RegisterNodeAsync(new NodeInfo(App, node, node, pid, AllJobs)
            {
                LibraryVersion = "0.1.0",
                DeploymentVersion = Release,
                Runtime = ".NET 10.0.0",
            }, TimeSpan.FromMinutes(5), ct);
        }
    }

    // A scheduled run: recorded now through a trigger, then moved back by `ago` (occurrence, start and finish) and made
    // a scheduled one again in the SQLite file, its trigger's audit row removed.
    private async Task RunAsync(IJobStore store, string node, string job, RunStatus status, TimeSpan duration, TimeSpan ago, string? errorType = null, string? error = null)
    {
        await Seeding.RecordRunAsync(store, App, node, job, status, duration, errorType, error, new OperatorAction("scheduler", null));
        await using var connection = new SqliteConnection($"Data Source={DatabasePath}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = """
            UPDATE runs SET occurrence_at = occurrence_at - $ago, started_at = started_at - $ago, finished_at = finished_at - $ago, manual = 0
            WHERE id = (SELECT max(id) FROM runs);
            DELETE FROM audit WHERE actor = 'scheduler';
            """;
        command.Parameters.AddWithValue("$ago", (long)ago.TotalMilliseconds);
        Assert.Equal(2, await command.ExecuteNonQueryAsync()); // the run and its trigger's audit row
    }
}
