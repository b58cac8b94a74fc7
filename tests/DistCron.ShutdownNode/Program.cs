// A DistCron node for the SIGTERM-then-SIGKILL test. Usage:
//   DistCron.ShutdownNode <sqlite file> <app> <node id> <poll seconds> [<DistCron ShutdownTimeout seconds>]
// Every other setting is the default (DistCron's and the host's). stdout: "ready", then "started <job> <fence>" per
// run, then "stopped" once the host's stop returned; DistCron's logs (Information and up) go to stderr.
using DistCron;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

if (args.Length is < 4 or > 5)
{
    Console.Error.WriteLine("usage: DistCron.ShutdownNode <sqlite file> <app> <node id> <poll seconds> [<shutdown timeout seconds>]");
    return 2;
}

var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [] });
builder.Logging.ClearProviders();
builder.Logging.SetMinimumLevel(LogLevel.Information);
builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
builder.Services.AddDistCron(o =>
{
    o.UseSqlite(args[0]);
    o.App = args[1];
    o.NodeId = args[2];
    o.PollInterval = TimeSpan.FromSeconds(double.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture));
    if (args.Length == 5) o.ShutdownTimeout = TimeSpan.FromSeconds(double.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture));
});

using var host = builder.Build();
host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStarted.Register(() => Console.Out.WriteLine("ready"));
await host.RunAsync(); // SIGTERM: the host stops DistCron
Console.Out.WriteLine("stopped");
return 0;

/// <summary>The two jobs a pod has at SIGTERM: one that stops when asked, one that does not.</summary>
internal static class ShutdownJobs
{
    /// <summary>Runs until its token is cancelled, then throws: its claim is released for the fleet.</summary>
    [DistributedCron("* * * * * *", Name = "cooperative")]
    public static async Task Cooperative(JobContext context, CancellationToken cancellationToken)
    {
        Console.Out.WriteLine($"started cooperative {context.FencingToken}");
        await Task.Delay(Timeout.Infinite, cancellationToken);
    }

    /// <summary>Ignores its token: killed with the process, its lease left to expire.</summary>
    [DistributedCron("* * * * * *", Name = "stubborn")]
    public static async Task Stubborn(JobContext context, CancellationToken cancellationToken)
    {
        Console.Out.WriteLine($"started stubborn {context.FencingToken}");
        await Task.Delay(Timeout.Infinite, CancellationToken.None);
    }
}
