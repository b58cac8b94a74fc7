using System.CommandLine;
using DistCron.Dashboard;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DistCron.Cli.Dashboard;

/// <summary>
/// <c>distcron dashboard</c>: the same dashboard an app mounts with <c>MapDistCronDashboard</c>, served from the tool
/// against a database, for operators who cannot redeploy the app. Read-only (no action endpoints are mapped), loopback
/// by default, and it never prints the connection string. Runs until Ctrl+C or SIGTERM.
/// </summary>
internal static class DashboardCommand
{
    public const string Name = "dashboard";

    private static readonly Option<string?> Urls = new("--urls")
    {
        HelpName = "URLS",
        Description = $"Where to listen, ';'-separated (default {DashboardUrls.Default}); loopback only unless --allow-remote",
    };

    private static readonly Option<bool> AllowRemote = new("--allow-remote")
    {
        Description = "Listen on a non-loopback address too (the dashboard has no authentication: put a proxy that authenticates in front)",
    };

    private static readonly Option<string?> PathBase = new("--path-base")
    {
        HelpName = "PATH",
        Description = "Serve under this path, as a reverse proxy forwards it (for example /ops/distcron)",
    };

    public const string UsageLines = """
          dashboard                 Serve the read-only web dashboard for one app until Ctrl+C
                 [--urls URLS]      Where to listen (default http://127.0.0.1:5080; loopback only)
                 [--allow-remote]   Allow a non-loopback address (no authentication: put a proxy in front)
                 [--path-base P]    Serve under path P (behind a reverse proxy)
                 [--live-window S]  A node is live while its heartbeat is this recent (default 90 s)
                                    (connection options as below; no --json, no --timeout)
        """;

    public static Command Define(CliDefinition cli) =>
        new(Name, "Serve the read-only web dashboard for one app (loopback only by default) until Ctrl+C")
        {
            cli.Connection, cli.Sqlite, cli.Store, cli.Schema, cli.App, cli.LiveWindow, Urls, AllowRemote, PathBase,
        };

    public static async Task<int> RunAsync(CliDefinition cli, ParseResult parse, TextWriter output, CancellationToken cancellationToken)
    {
        // Every refusal of the command line comes before the database is opened.
        var urls = DashboardUrls.Parse(parse.GetValue(Urls) ?? DashboardUrls.Default, parse.GetValue(AllowRemote));
        var pathBase = PathBaseOf(parse.GetValue(PathBase));
        await using var store = StoreConnection.Open(cli, parse);
        var client = store.Client;
        await store.ConnectAsync(client.GetDatabaseTimeAsync(cancellationToken));
        var apps = await store.RunAsync(client.ListAppsAsync(cancellationToken));
        if (!apps.Contains(client.App, StringComparer.Ordinal)) throw new UnknownAppException(client.App, apps);

        await using var web = Build(client, urls, pathBase);
        await web.StartAsync(cancellationToken);
        var addresses = web.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToArray() ?? [];
        // A last check on what Kestrel actually bound: nothing but the URLs given may widen the listening set.
        if (!parse.GetValue(AllowRemote) && addresses.Any(a => !DashboardUrls.IsLoopback(new Uri(a.Replace("://+", "://0.0.0.0", StringComparison.Ordinal).Replace("://*", "://0.0.0.0", StringComparison.Ordinal)).Host)))
        {
            await web.StopAsync(CancellationToken.None);
            throw new UsageException($"The dashboard was bound beyond loopback ({string.Join(", ", addresses)}) although --allow-remote was not given; stopped.");
        }

        var kind = StoreConnection.StoreKind(cli, parse) == "sqlite" ? "SQLite" : "PostgreSQL";
        foreach (var address in addresses) output.WriteLine($"DistCron dashboard for app '{client.App}' ({kind}, read-only): {address}{pathBase}/");
        output.WriteLine("Ctrl+C stops it.");
        output.Flush();

        // Ctrl+C reaches the tool's token; SIGTERM (a service manager) stops the host through its console lifetime.
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, web.Lifetime.ApplicationStopping);
        await Task.Delay(Timeout.Infinite, stopping.Token).ContinueWith(_ => { }, TaskScheduler.Default);
        await web.StopAsync(CancellationToken.None);
        output.WriteLine("Dashboard stopped.");
        return ExitCodes.Ok;
    }

    private static WebApplication Build(DistCronClient client, IReadOnlyList<Uri> urls, string pathBase)
    {
        // No configuration from the environment or files: ASPNETCORE_URLS, Kestrel endpoint settings or an
        // appsettings.json next to the tool must not widen where an unauthenticated dashboard listens.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], EnvironmentName = Environments.Production });
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection();
        builder.WebHost.UseUrls(urls.Select(u => $"{u.Scheme}://{u.Authority}").ToArray());
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
        builder.Services.AddSingleton<IDistCronClient>(client);

        var web = builder.Build();
        if (pathBase.Length > 0) web.UsePathBase(pathBase);
        // Anonymous on purpose: the standalone dashboard has no users of its own. It is read-only (no actions are
        // mapped), listens on loopback unless --allow-remote, and is meant to sit behind a reverse proxy that
        // authenticates when it is shared.
        web.MapDistCronDashboard("/", o => o.NodeLiveWindow = client.NodeLiveWindow).AllowAnonymous();
        return web;
    }

    private static string PathBaseOf(string? text)
    {
        if (string.IsNullOrEmpty(text) || text == "/") return "";
        if (!text.StartsWith('/') || text.Contains('?') || text.Contains('#') || text.Contains("//", StringComparison.Ordinal))
        {
            throw new UsageException($"--path-base takes an absolute path such as /ops/distcron (got '{Secrets.Shown(text)}').");
        }

        return text.TrimEnd('/');
    }
}
