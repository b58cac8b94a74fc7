using DistCron.Storage;
using DistCron.Storage.Postgres;
using DistCron.Storage.Sqlite;
using DistCron.Tests.Dashboard;
using DistCron.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace DistCron.Tests.Browser;

/// <summary>
/// One dashboard site per browser test class: a real Kestrel host over a real store, with header sign-in, an actions
/// policy, and a real DistCron node in the same host that has code for <see cref="Ticker"/>. Its data: "nightly"
/// (Europe/Paris) with a success and a "disk full" failure, "every5" with a pending trigger, a job whose name and last
/// error are a script tag, "paused-job" paused by carol, "backup" for the pause test, the node's "ticker" and a silent
/// node-a. The tests that change state change only their own job and leave it as they found it, so they share it.
/// </summary>
public abstract class DashboardSite : IAsyncLifetime
{
    public const string App = "billing";
    public const string Evil = "<script>alert(1)</script>";
    public const string Ticker = "ticker";       // yearly: runs only when triggered, and then waits for ReleaseTicker
    public const string Backup = "backup";       // paused and resumed by the pause test
    public const string Reader = "rita";         // signed in, may look
    public const string Writer = "alice:writer"; // signed in, may act
    public const string Axe = "/test-assets/axe.min.js";

    private readonly TaskCompletionSource _releaseTicker = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private DashboardHost? _host;

    /// <summary>"sqlite" or "postgres": names the screenshots.</summary>
    public abstract string StoreName { get; }

    /// <summary>The app's path base ("" for none): the dashboard's links must carry it.</summary>
    public abstract string PathBase { get; }

    /// <summary>Where the dashboard is, below the origin: path base and mount prefix.</summary>
    public string Root => PathBase + "/distcron";

    public Uri Origin => _host!.Address;

    private protected IJobStore Store { get; private set; } = null!;

    /// <summary>An absolute URL of a dashboard page: <paramref name="relative"/> starts with '/' or is empty.</summary>
    public string Url(string relative) => new Uri(Origin, Root + relative).ToString();

    /// <summary>Lets the ticker's run, started by a trigger, finish.</summary>
    public void ReleaseTicker() => _releaseTicker.TrySetResult();

    public async Task<JobRow> JobAsync(string name) => (await Store.GetJobAsync(App, name, CancellationToken.None))!;

    private protected abstract Task<IJobStore> OpenStoreAsync();

    /// <summary>Registers the dashboard's client on the store; returns the node's store choice.</summary>
    private protected abstract Action<DistCronOptions> UseStore(WebApplicationBuilder builder);

    /// <summary>Whether the host runs a DistCron node (with code for <see cref="Ticker"/>) beside the dashboard.</summary>
    private protected virtual bool RunsNode => true;

    public async Task InitializeAsync()
    {
        Store = await OpenStoreAsync();
        await Store.MigrateAsync(CancellationToken.None);
        await SeedAsync(Store);
        _host = await DashboardHost.StartAsync(SqliteFiles.NewDatabasePath(), App, Map, configure: Configure);
        if (RunsNode)
        {
            await Eventually.TrueAsync(async () => await Store.GetJobAsync(App, Ticker, CancellationToken.None) is not null, "the node seeded its job", TimeSpan.FromSeconds(60));
        }
    }

    private protected virtual async Task SeedAsync(IJobStore store)
    {
        var ct = CancellationToken.None;
        var due = await Seeding.InAnHourAsync(store);
        await store.SeedAsync(App,
        [
            new SeedJob("nightly", "0 3 * * *", "Europe/Paris", "h1", due),
            new SeedJob("every5", "*/5 * * * *", "UTC", "h2", due),
            new SeedJob(Evil, "0 * * * *", "UTC", "h3", due),
            new SeedJob("paused-job", "0 4 * * *", "UTC", "h4", due),
            new SeedJob(Backup, "30 2 * * *", "UTC", "h5", due),
        ], ct);
        await Seeding.RecordRunAsync(store, App, "node-a", "nightly", RunStatus.Succeeded, TimeSpan.FromMilliseconds(1500));
        await Seeding.RecordRunAsync(store, App, "node-a", "nightly", RunStatus.Failed, TimeSpan.FromMilliseconds(900), "System.IO.IOException", "disk full");
        await Seeding.RecordRunAsync(store, App, "node-a", Evil, RunStatus.Failed, TimeSpan.FromMilliseconds(5), "<b>EvilException</b>", Evil);
        Assert.True(await store.TriggerAsync(App, "every5", ct));
        Assert.True(await store.PauseAsync(App, "paused-job", new OperatorAction("carol", "quarter close"), null, ct));
        await store.RegisterNodeAsync(new NodeInfo(App, "node-a", "host-a", 4242, ["nightly", "every5", Evil]), TimeSpan.FromMinutes(1), ct);
    }

    private void Map(WebApplication web)
    {
        // A reverse proxy that strips a prefix says so in X-Forwarded-Prefix (loopback is a known proxy by default).
        web.UseForwardedHeaders(new ForwardedHeadersOptions { ForwardedHeaders = ForwardedHeaders.XForwardedPrefix });
        if (PathBase.Length > 0) web.UsePathBase(PathBase);
        web.UseAuthentication();
        web.UseAuthorization();
        web.MapDistCronDashboard("/distcron", o =>
        {
            o.PollInterval = TimeSpan.FromMilliseconds(200);
            o.ActionsPolicy = "ops-write";
        }).RequireAuthorization("ops");

        // axe-core from this origin: the dashboard's Content-Security-Policy (script-src 'self') lets the accessibility
        // checks inject it with a script tag while the policy stays on, so the pages are checked as users get them.
        var axe = Path.Combine(AppContext.BaseDirectory, "Browser", "axe", "axe.min.js");
        web.MapGet(Axe, () => Microsoft.AspNetCore.Http.Results.File(axe, "text/javascript")).AllowAnonymous();
    }

    private void Configure(WebApplicationBuilder builder)
    {
        builder.Services.AddAntiforgery();
        HeaderAuthentication.AddTo(builder.Services);
        builder.Services.AddAuthorization(options =>
        {
            options.AddPolicy("ops", policy => policy.RequireAuthenticatedUser());
            options.AddPolicy("ops-write", policy => policy.RequireRole("writer"));
        });
        var useStore = UseStore(builder);
        if (!RunsNode) return;
        builder.Services.AddDistCron(o =>
        {
            useStore(o);
            o.App = App;
            o.PollInterval = TimeSpan.FromMilliseconds(300);
            o.LeaseDuration = TimeSpan.FromSeconds(2);
            o.HeartbeatInterval = TimeSpan.FromMilliseconds(500);
            o.AddJobs([new JobDefinition(Ticker, "0 0 1 1 *", CronFormat.Standard, "UTC", MisfirePolicy.RunOnce, null, null, 0, "ticker-h1",
                "DistCron.Tests.Browser.Jobs", Ticker, (_, _, _) => new ValueTask(_releaseTicker.Task))]);
        });
    }

    public virtual async Task DisposeAsync()
    {
        ReleaseTicker();
        if (_host is not null) await _host.DisposeAsync();
        if (Store is not null) await Store.DisposeAsync();
    }
}

/// <summary>The site on a real SQLite file, under a path base (UsePathBase("/ops")).</summary>
public class SqliteSite : DashboardSite
{
    private readonly string _path = SqliteFiles.NewDatabasePath();

    /// <summary>The SQLite file the site's store uses.</summary>
    private protected string DatabasePath => _path;

    public override string StoreName => "sqlite";

    public override string PathBase => "/ops";

    private protected override Task<IJobStore> OpenStoreAsync() => Task.FromResult<IJobStore>(new SqliteJobStore(_path));

    private protected override Action<DistCronOptions> UseStore(WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<IDistCronClient>(_ => DistCronClient.ForSqlite(_path, App));
        return node => node.UseSqlite(_path);
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        SqliteFiles.Delete(_path);
    }
}

/// <summary>The site on the test run's real PostgreSQL cluster (a database of its own), mounted at the app's root.</summary>
public sealed class PostgresSite : DashboardSite
{
    private string _connectionString = null!;
    private NpgsqlDataSource? _dataSource;

    public override string StoreName => "postgres";

    public override string PathBase => "";

    private protected override async Task<IJobStore> OpenStoreAsync()
    {
        _connectionString = await (await PostgresServer.SharedAsync()).CreateDatabaseAsync("browser");
        _dataSource = NpgsqlDataSource.Create(_connectionString);
        return new PostgresJobStore(_dataSource);
    }

    private protected override Action<DistCronOptions> UseStore(WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<IDistCronClient>(_ => DistCronClient.ForPostgres(_connectionString, app: App));
        return node => node.UsePostgres(_connectionString);
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_dataSource is not null) await _dataSource.DisposeAsync();
    }
}
