// Usage: DistCron.AotCanary sqlite <file> generated|explicit
//        DistCron.AotCanary postgres - generated|explicit   (connection string in DISTCRON_CANARY_POSTGRES: never on
//                                                            a command line, where other users of the machine see it)
// Runs a DistCron node until one job has run, then reads it back through IDistCronClient (history and nodes, the reads that
// parse JSON on SQLite) and prints "canary ok". Exit code 0 only then.
using System.Runtime.CompilerServices;
using DistCron;
using DistCron.AotCanary;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

if (args.Length != 3 || args[0] is not ("sqlite" or "postgres") || args[2] is not ("generated" or "explicit"))
{
    Console.Error.WriteLine("usage: DistCron.AotCanary sqlite|postgres <file>|- generated|explicit");
    return 2;
}

var (store, target, jobs) = (args[0], args[1], args[2]);
Console.WriteLine($"canary: dynamic code supported = {RuntimeFeature.IsDynamicCodeSupported}");
const string app = "aot-canary";
var builder = Host.CreateApplicationBuilder();
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.AddDistCron(options =>
{
    options.App = app;
    if (store == "sqlite")
    {
        options.UseSqlite(target);
    }
    else
    {
        options.UsePostgres(Environment.GetEnvironmentVariable("DISTCRON_CANARY_POSTGRES")
            ?? throw new InvalidOperationException("DISTCRON_CANARY_POSTGRES is not set."));
    }

    if (jobs == "explicit") options.AddJobs([CanaryJobs.HandWritten()]);
});

using var host = builder.Build();
await host.StartAsync();
var ran = await CanaryJobs.Runs.Task.WaitAsync(TimeSpan.FromSeconds(60));
Console.WriteLine($"canary: ran {ran.JobName} (occurrence {ran.ScheduledFor:O}, node {ran.NodeId})");

var client = host.Services.GetRequiredService<IDistCronClient>();
var nodes = await client.ListNodesAsync(CancellationToken.None);
var node = nodes.Single(n => n.NodeId == ran.NodeId);
Console.WriteLine($"canary: node {node.NodeId} runs [{string.Join(", ", node.JobNames)}]");
if (!node.JobNames.Contains(ran.JobName)) throw new InvalidOperationException($"The node's job list lacks {ran.JobName}.");

// The completion is written after the method returns; wait for it to be recorded.
for (var attempt = 0; ; attempt++)
{
    var history = await client.GetHistoryAsync(ran.JobName, new HistoryQuery(10), CancellationToken.None);
    if (history.Any(h => h.OccurrenceAt == ran.ScheduledFor))
    {
        Console.WriteLine($"canary: history of {ran.JobName} has the run");
        break;
    }

    if (attempt == 100) throw new InvalidOperationException($"No history row for {ran.JobName} at {ran.ScheduledFor:O}.");
    await Task.Delay(100);
}

await host.StopAsync();
Console.WriteLine($"canary ok: {store} {jobs}");
return 0;
