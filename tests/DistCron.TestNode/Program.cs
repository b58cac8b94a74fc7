// A DistCron node as a real process, for the multi-process tests and the chaos tool (tools/DistCron.Chaos).
// stdout carries exactly one "ready ..." line, then one "run ..." line per run, then "stopped ..."; in between, a
// "stall ..." line for every stretch the process could not run (StallWatch); logs go to stderr.
using DistCron;
using DistCron.TestNode;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

NodeArguments arguments;
try
{
    arguments = NodeArguments.Parse(args);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}

StallWatch.Start(Console.Out);
await using var audit = AuditWriter.Create(arguments);
await audit.EnsureTableAsync(CancellationToken.None);

var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [] });
builder.Logging.ClearProviders();
builder.Logging.SetMinimumLevel(LogLevel.Warning); // raise with Logging__LogLevel__Default=Information
builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);

// Registered before AddDistCron: a skewed wall clock must not change a single scheduling decision.
if (arguments.ClockSkew != TimeSpan.Zero)
{
    builder.Services.AddSingleton<TimeProvider>(new SkewedTimeProvider(arguments.ClockSkew));
}

builder.Services.AddSingleton(arguments);
builder.Services.AddSingleton(audit);
builder.Services.AddSingleton<RunBody>();
builder.Services.AddScoped<GeneratedJobs>();

// The every-second jobs are programmatic (their number is a command-line value): AddJob registers them beside the
// generated ones, so every multi-process and chaos run exercises programmatic jobs across processes.
var everySecond = EverySecondJobs.Build(arguments.Jobs, arguments.Release ?? 1);
builder.Services.AddDistCron(o =>
{
    if (arguments.Store == StoreKind.Postgres) o.UsePostgres(arguments.Connection);
    else o.UseSqlite(arguments.Connection);
    o.App = arguments.App;
    o.NodeId = arguments.NodeId;
    o.PollInterval = arguments.Poll;
    o.LeaseDuration = arguments.Lease;
    o.HeartbeatInterval = arguments.Heartbeat;
    o.MisfireThreshold = arguments.MisfireThreshold;
    o.ShutdownTimeout = TimeSpan.FromSeconds(10);
    o.MaxConcurrentJobs = 64; // a lone survivor must still keep up with every job of the fleet
    // A release is a deployment version: a node of an older release restarted during a rolling deploy never
    // overwrites the newer definition.
    o.DeploymentVersion = arguments.Release;
    foreach (var job in everySecond)
    {
        o.AddJob(job.Name, job.Schedule, static (context, services, token) => services.GetRequiredService<RunBody>().RunAsync(context, token).AsTask());
    }
});

using var host = builder.Build();
var jobNames = everySecond.Concat(DistCronJobRegistry.GetAll()).Select(d => d.Name).Order(StringComparer.Ordinal);
host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStarted.Register(() =>
    Console.Out.WriteLine($"ready node={arguments.NodeId} pid={Environment.ProcessId} skew={arguments.ClockSkew.TotalSeconds}s release={arguments.Release ?? 1} jobs={string.Join(',', jobNames)}"));

if (arguments.ParentProcessId is { } parentPid) _ = ExitWhenOrphanedAsync(parentPid);

await host.RunAsync(); // SIGTERM / Ctrl+C: graceful stop (the engine finishes or releases its runs)
Console.Out.WriteLine($"stopped node={arguments.NodeId}");
return 0;

// A harness that is itself killed (a test host stopped by a timeout) cannot stop its nodes; they stop themselves.
static async Task ExitWhenOrphanedAsync(int parentPid)
{
    while (true)
    {
        await Task.Delay(TimeSpan.FromSeconds(1));
        bool alive;
        try
        {
            using var parent = System.Diagnostics.Process.GetProcessById(parentPid);
            alive = !parent.HasExited;
        }
        catch (ArgumentException)
        {
            alive = false;
        }

        if (!alive)
        {
            Console.Error.WriteLine($"parent process {parentPid} is gone; exiting.");
            Environment.Exit(3);
        }
    }
}
