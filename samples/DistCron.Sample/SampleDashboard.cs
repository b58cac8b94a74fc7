using System.Net;
using DistCron.Dashboard;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DistCron.Sample;

/// <summary>
/// The DistCron dashboard on 127.0.0.1, so a newcomer opens a browser and watches the sample's jobs run. An app of
/// your own mounts it the same way: <c>app.MapDistCronDashboard("/distcron")</c>, with your authorization policy.
/// </summary>
public static class SampleDashboard
{
    /// <summary>Starts it on <paramref name="port"/> (0: any free port; the default port falls back to a free one when taken) and prints its address.</summary>
    public static async Task<IAsyncDisposable> StartAsync(IDistCronClient client, int port)
    {
        try
        {
            return await TryStartAsync(client, port);
        }
        catch (IOException) when (port == SampleArguments.DefaultDashboardPort)
        {
            // Something else already listens on the default port: the sample still starts, on another port.
            return await TryStartAsync(client, 0);
        }
    }

    private static async Task<IAsyncDisposable> TryStartAsync(IDistCronClient client, int port)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], EnvironmentName = Environments.Production });
        // Loopback only: nobody but this machine's user can reach it.
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
        builder.Logging.ClearProviders();
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
        builder.Services.AddSingleton(client);

        var web = builder.Build();
        // AllowAnonymous on purpose, because this is a local sample on 127.0.0.1: without it the dashboard refuses to
        // start outside Development, as it should in a real app. A real app requires a policy instead:
        // app.MapDistCronDashboard("/distcron").RequireAuthorization("ops").
        web.MapDistCronDashboard("/distcron", o =>
        {
            o.Title = "DistCron sample";
            o.PollInterval = TimeSpan.FromSeconds(1);
        }).AllowAnonymous();
        try
        {
            await web.StartAsync();
        }
        catch
        {
            await web.DisposeAsync();
            throw;
        }

        var address = web.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Console.WriteLine($"Dashboard: {address}/distcron/ (open it in a browser to watch the jobs run; this machine only)");
        return web;
    }
}
