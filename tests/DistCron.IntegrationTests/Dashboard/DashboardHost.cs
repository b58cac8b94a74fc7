using System.Net;
using DistCron.Dashboard;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DistCron.Tests.Dashboard;

/// <summary>
/// A real ASP.NET Core app on Kestrel at 127.0.0.1 on a free port, with the dashboard mapped over a real SQLite file
/// through <see cref="DistCronClient.ForSqlite"/>, and an HttpClient that talks to it over TCP.
/// </summary>
internal sealed class DashboardHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private DashboardHost(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
        Http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
    }

    public Uri Address { get; }

    public HttpClient Http { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>Builds and starts the app; <paramref name="map"/> mounts the dashboard (and anything else) on it.</summary>
    public static async Task<DashboardHost> StartAsync(
        string sqlitePath, string app, Action<WebApplication> map, string environment = "Production", Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = environment, Args = [] });
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<IDistCronClient>(_ => DistCronClient.ForSqlite(sqlitePath, app));
        configure?.Invoke(builder);
        var web = builder.Build();
        map(web);
        try
        {
            await web.StartAsync();
        }
        catch
        {
            await web.DisposeAsync();
            throw;
        }

        var address = web.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        Assert.StartsWith("http://127.0.0.1:", address);
        return new DashboardHost(web, new Uri(address + "/"));
    }

    /// <summary>Maps the dashboard at /distcron, open to anonymous users on purpose, polling fast for the tests.</summary>
    public static Action<WebApplication> Anonymous(string prefix = "/distcron") =>
        web => web.MapDistCronDashboard(prefix, o => o.PollInterval = TimeSpan.FromMilliseconds(200)).AllowAnonymous();

    public async Task<(HttpResponseMessage Response, string Body)> GetAsync(string path)
    {
        var response = await Http.GetAsync(path.TrimStart('/'));
        return (response, await response.Content.ReadAsStringAsync());
    }

    public async Task<string> GetOkAsync(string path)
    {
        var (response, body) = await GetAsync(path);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: {(int)response.StatusCode}\n{body}");
        return body;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
