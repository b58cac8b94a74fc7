using DistCron.Diagnostics;
using DistCron.Storage;

namespace DistCron.Engine;

/// <summary>
/// Keeps one claim's lease alive with fenced heartbeats while its job runs. A heartbeat that finds the fence gone means
/// another node owns the job: the run's token is cancelled and the run must never be completed. When heartbeats fail
/// (database unreachable) they are retried until shortly before the lease would end; then the claim is treated as lost
/// too, because another node may claim it from that moment.
/// </summary>
internal sealed class LeaseKeeper
{
    private readonly EngineContext _context;
    private readonly ClaimToken _claim;
    private readonly CancellationTokenSource _run;
    private DateTimeOffset _leaseEnd;
    private volatile bool _lost;

    public LeaseKeeper(EngineContext context, ClaimToken claim, DateTimeOffset leaseUntil, CancellationTokenSource run)
    {
        _context = context;
        _claim = claim;
        _leaseEnd = leaseUntil;
        _run = run;
    }

    /// <summary>True once the claim is known or presumed lost; the run's token was cancelled.</summary>
    public bool Lost => _lost;

    public async Task RunAsync(CancellationToken stop)
    {
        var delay = _context.HeartbeatInterval;
        while (true)
        {
            // Every run stops its keeper, usually before the first heartbeat: no exception for that (one per run was
            // a measurable share of a busy node's CPU).
            await Task.Delay(delay, _context.Time, stop).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (stop.IsCancellationRequested) return;

            var clock = _context.Clock;
            var sentAt = clock.UtcNow;
            try
            {
                using var call = CancellationTokenSource.CreateLinkedTokenSource(stop);
                call.CancelAfter(Max(clock.Until(_leaseEnd - _context.LeaseSafetyMargin), TimeSpan.FromMilliseconds(1)));
                if (await _context.Store.HeartbeatAsync(_claim, _context.LeaseDuration, call.Token).ConfigureAwait(false))
                {
                    // The database set lease_until = its now() + lease, and its now() is no earlier than our send time.
                    _leaseEnd = sentAt + _context.LeaseDuration;
                    delay = _context.HeartbeatInterval;
                    continue;
                }

                MarkLost();
                return;
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                Log.HeartbeatFailed(_context.Logger, _claim.JobName, _claim.Fence, ex.GetType().Name, EngineContext.Describe(ex));
                if (clock.UtcNow >= _leaseEnd - _context.LeaseSafetyMargin)
                {
                    MarkLost();
                    return;
                }

                // Retry sooner than a regular heartbeat: the lease is running out.
                delay = Min(_context.HeartbeatInterval, TimeSpan.FromSeconds(1));
            }
        }
    }

    private void MarkLost()
    {
        _lost = true;
        try
        {
            _run.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The run already ended.
        }
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
