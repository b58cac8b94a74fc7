using DistCron.Diagnostics;
using DistCron.Engine;
using DistCron.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DistCron.Hosting;

/// <summary>Hosts this process's DistCron node: a thin shell around <see cref="NodeLoop"/>.</summary>
internal sealed class DistCronHostedService : BackgroundService
{
    private readonly NodeLoop _loop;

    public DistCronHostedService(
        IOptions<DistCronOptions> options,
        IJobStore store,
        IServiceScopeFactory scopeFactory,
        ILoggerFactory loggerFactory,
        DistCronMetrics metrics,
        TimeProvider? time = null)
    {
        var settings = options.Value;
        var nodeId = settings.NodeId ?? Engine.NodeId.ForCurrentProcess();
        var context = new EngineContext(settings, nodeId, store, scopeFactory, time ?? TimeProvider.System,
            loggerFactory.CreateLogger("DistCron"), metrics);
        NodeId = nodeId;
        _loop = new NodeLoop(context, settings.ResolveJobs());
    }

    /// <summary>This process's node id.</summary>
    public string NodeId { get; }

    // The loop never throws for store outages; it returns once stopping was requested and running jobs were drained.
    // When the host's own shutdown timeout ends before DistCron's, the host stops waiting: cancel the jobs' tokens at
    // that moment so they can still release their claims, instead of being cut off silently at process exit.
    // (Checked after the base returns rather than in a token callback: the base's own callback can resume this method
    // and dispose a registration before it ran.)
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        if (cancellationToken.IsCancellationRequested) _loop.CancelRunningJobs();
    }

    // Yield first: some drivers (Microsoft.Data.Sqlite) complete "async" I/O synchronously, and the host must not wait
    // for the first database round trip (or a database outage) before it finishes starting.
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        await _loop.RunAsync(stoppingToken).ConfigureAwait(false);
    }
}
