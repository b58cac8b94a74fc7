using DistCron.Sample.Jobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace DistCron.Sample;

/// <summary>One DistCron node: a generic host running every [DistributedCron] job of this assembly.</summary>
public static class NodeHost
{
    public static async Task<int> RunAsync(SampleArguments arguments)
    {
        var builder = Host.CreateApplicationBuilder();
        // Job lines go to stdout; DistCron's own warnings and errors (retries, lost leases) still show.
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(20));

        builder.Services.AddSingleton(new SitePaths(Path.Combine(Path.GetDirectoryName(arguments.DatabasePath)!)));
        builder.Services.AddSingleton<PageCatalog>();
        builder.Services.AddDistCron(o =>
        {
            o.App = "sample-site";
            if (arguments.Postgres is not null) o.UsePostgres(arguments.Postgres);
            else o.UseSqlite(arguments.DatabasePath);

            // Unique per process (the pid), readable in the output (the index).
            o.NodeId = $"node{arguments.NodeIndex ?? 1}-{Environment.ProcessId}";
            // Demo timings: jobs fire every few seconds. Other processes' writes are seen by polling on SQLite.
            o.PollInterval = TimeSpan.FromSeconds(1);
            o.LeaseDuration = TimeSpan.FromSeconds(15);
            o.HeartbeatInterval = TimeSpan.FromSeconds(5);
            o.ShutdownTimeout = TimeSpan.FromSeconds(10);
            // Small claim batches, so jobs due at the same second visibly spread over the nodes.
            o.MaxConcurrentJobs = 2;
        });

        if (arguments.Telemetry) AddConsoleTelemetry(builder.Services);

        using var host = builder.Build();
        var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
        if (arguments.NodeIndex is not null) StopWhenParentGoes(lifetime);

        using var runFor = arguments.RunFor is { } limit ? new CancellationTokenSource(limit) : new CancellationTokenSource();
        await host.StartAsync(runFor.Token);
        // Over this node's own client: the dashboard reads the node's store (and, on PostgreSQL, shares its LISTEN connection).
        await using var dashboard = arguments.DashboardPort is { } port
            ? await SampleDashboard.StartAsync(host.Services.GetRequiredService<IDistCronClient>(), port)
            : null;
        await host.WaitForShutdownAsync(runFor.Token);
        return 0;
    }

    // DistCron publishes a Meter and an ActivitySource, both named "DistCron": subscribing is all it takes. Metrics are
    // printed every 10 s, one span per run as it ends.
    private static void AddConsoleTelemetry(IServiceCollection services) =>
        services.AddOpenTelemetry()
            .WithTracing(tracing => tracing.AddSource("DistCron").AddConsoleExporter())
            .WithMetrics(metrics => metrics.AddMeter("DistCron").AddConsoleExporter((_, reader) =>
                reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = 10_000));

    // A child stops gracefully when the launcher closes its stdin, and also when the launcher dies without a word
    // (its end of the pipe closes then too): no orphaned node keeps running.
    private static void StopWhenParentGoes(IHostApplicationLifetime lifetime)
    {
        var watcher = new Thread(() =>
        {
            try
            {
                while (Console.In.ReadLine() is not null) { }
            }
            catch (IOException)
            {
            }

            lifetime.StopApplication();
        })
        { IsBackground = true, Name = "parent watcher" };
        watcher.Start();
    }
}
