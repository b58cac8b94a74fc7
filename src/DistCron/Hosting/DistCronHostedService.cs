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
    private readonly ILogger _logger;
    private readonly DistCronOptions _settings;
    private readonly TimeSpan? _hostShutdownTimeout;

    public DistCronHostedService(
        IOptions<DistCronOptions> options,
        IJobStore store,
        IServiceScopeFactory scopeFactory,
        ILoggerFactory loggerFactory,
        DistCronMetrics metrics,
        TimeProvider? time = null,
        NodeHealth? health = null,
        IOptions<HostOptions>? hostOptions = null)
    {
        var settings = options.Value;
        _settings = settings;
        _hostShutdownTimeout = hostOptions?.Value.ShutdownTimeout;
        var nodeId = settings.NodeId ?? Engine.NodeId.ForCurrentProcess();
        var context = new EngineContext(settings, nodeId, store, scopeFactory, time ?? TimeProvider.System,
            loggerFactory.CreateLogger("DistCron"), metrics, health);
        _logger = context.Logger;
        NodeId = nodeId;
        _loop = new NodeLoop(context, settings.ResolveJobs());
    }

    /// <summary>This process's node id.</summary>
    public string NodeId { get; }

    // The loop never throws for store outages; it returns once stopping was requested and running jobs were drained.
    // When the host's own shutdown timeout ends before DistCron's, the host stops waiting: pass DistCron's deadline at
    // that moment (log it, name the running jobs, cancel their tokens) before the host exits, not after.
    // (Checked after the base returns rather than in a token callback: the base's own callback can resume this method
    // and dispose a registration before it ran.)
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        if (cancellationToken.IsCancellationRequested) await _loop.HostStoppedWaitingAsync().ConfigureAwait(false);
    }

    // Before the host reports started: a shutdown budget that does not fit is said once, at start-up, not discovered at
    // the first SIGTERM.
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        WarnIfHostStopsWaitingFirst();
        return base.StartAsync(cancellationToken);
    }

    private void WarnIfHostStopsWaitingFirst()
    {
        if (_hostShutdownTimeout is not { } host || _settings.ResolveJobs().Count == 0) return;
        var shutdown = _settings.ShutdownTimeout;
        var lease = _settings.LeaseDuration;
        if (!ShutdownBudget.HostTooShort(host, shutdown, lease)) return;
        var largest = ShutdownBudget.LargestShutdownTimeout(host, lease) is { } fits
            ? $" to at most {(long)fits.TotalMilliseconds} ms"
            : string.Empty;
        Log.HostShutdownTooShort(_logger, (long)host.TotalMilliseconds, (long)ShutdownBudget.Needed(shutdown, lease).TotalMilliseconds,
            (long)shutdown.TotalMilliseconds, (long)ShutdownBudget.CancelWait(lease).TotalMilliseconds, largest);
    }

    // Yield first: some drivers (Microsoft.Data.Sqlite) complete "async" I/O synchronously, and the host must not wait
    // for the first database round trip (or a database outage) before it finishes starting.
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        await _loop.RunAsync(stoppingToken).ConfigureAwait(false);
    }
}
