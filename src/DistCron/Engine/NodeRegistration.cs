using DistCron.Diagnostics;
using DistCron.Storage;

namespace DistCron.Engine;

/// <summary>
/// This node's row in the nodes table: written at start-up, kept alive, removed at shutdown. A claim keeps it alive too
/// (it refreshes the heartbeat once it is a sixth of the live window old), but claims stop while every slot is busy, so
/// a standalone registration follows <see cref="EngineContext.RegistrationInterval"/> after the last of either.
/// Used by the node loop's thread only.
/// </summary>
internal sealed class NodeRegistration
{
    private readonly EngineContext _context;
    private readonly string[] _jobNames;
    private long _next; // timestamp of the next standalone registration

    public NodeRegistration(EngineContext context, IEnumerable<string> jobNames)
    {
        _context = context;
        _jobNames = jobNames.ToArray();
    }

    /// <summary>Registers in full: the node's row, its job names, the orphan flags of the app's jobs.</summary>
    public async Task RegisterAsync(CancellationToken stopping)
    {
        var node = new NodeInfo(_context.App, _context.NodeId, Environment.MachineName, Environment.ProcessId, _jobNames)
        {
            LibraryVersion = NodeVersion.Library,
            DeploymentVersion = _context.DeploymentVersion,
            Runtime = NodeVersion.Runtime,
        };
        await _context.Store.RegisterNodeAsync(node, _context.NodeLiveWindow, stopping).ConfigureAwait(false);
        KeptAlive();
        _context.Metrics.NodeSeen(_context.Clock.UtcNow);
    }

    /// <summary>Registers when nothing kept the node alive for a whole interval.</summary>
    public async Task RegisterIfDueAsync(CancellationToken stopping)
    {
        if (UntilDue() > TimeSpan.Zero) return;
        await RegisterAsync(stopping).ConfigureAwait(false);
    }

    /// <summary>A registration or a claim just kept the node alive: the next standalone one is an interval away.</summary>
    public void KeptAlive() =>
        Interlocked.Exchange(ref _next, _context.Time.GetTimestamp() + (long)(_context.RegistrationInterval.TotalSeconds * _context.Time.TimestampFrequency));

    /// <summary>How long until a standalone registration is due (zero: now).</summary>
    public TimeSpan UntilDue()
    {
        var remaining = Interlocked.Read(ref _next) - _context.Time.GetTimestamp();
        return remaining <= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds((double)remaining / _context.Time.TimestampFrequency);
    }

    /// <summary>Removes the node's row at shutdown; a store outage is logged, and the row then simply ages out.</summary>
    public async Task UnregisterAsync()
    {
        try
        {
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(5), _context.Time);
            await _context.Store.UnregisterNodeAsync(_context.App, _context.NodeId, limit.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Log.StoreUnavailable(_context.Logger, _context.Store.Kind, "unregister", ex.GetType().Name, EngineContext.Describe(ex), 0);
        }
    }
}
