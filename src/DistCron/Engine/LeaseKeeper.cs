using DistCron.Diagnostics;
using DistCron.Scheduling;
using DistCron.Storage;

namespace DistCron.Engine;

/// <summary>
/// Keeps one claim's lease alive with fenced heartbeats while its job runs. A heartbeat that finds the fence gone means
/// another node owns the job: the run's token is cancelled and the run must never be completed. When heartbeats fail
/// (database unreachable) they are retried until shortly before the lease would end; then the claim is treated as lost
/// too, because another node may claim it from that moment. That moment is kept by the keeper itself: it stops waiting
/// for a heartbeat the store has not answered by then, whether or not the store honours the call's cancellation.
/// </summary>
internal sealed class LeaseKeeper
{
    private readonly EngineContext _context;
    private readonly ClaimToken _claim;
    private readonly CancellationTokenSource _run;
    private readonly CancellationTokenSource _stop = new();
    private Task _keeping = Task.CompletedTask;
    private DateTimeOffset _leaseEnd;
    private DateTimeOffset _lastSentAt = DateTimeOffset.MinValue;
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

    /// <summary>
    /// The latest the lease can end, by the database's clock as this node estimates it: when the fleet can take the
    /// claim over. Includes a heartbeat whose answer never came (it may have been applied). Read after
    /// <see cref="StopAsync"/> has completed, when it no longer moves.
    /// </summary>
    public DateTimeOffset LeaseEnd => TimeMath.Max(_leaseEnd, _lastSentAt + _context.LeaseDuration);

    /// <summary>Starts keeping the lease, until <see cref="StopAsync"/>.</summary>
    public void Start() => _keeping = RunAsync(_stop.Token);

    /// <summary>
    /// Stops renewing the lease; completes once the keeper has stopped. Idempotent and safe from any thread: the run
    /// stops it when its handling ends, a shutdown when it abandons the run.
    /// </summary>
    public Task StopAsync()
    {
        _stop.Cancel();
        return _keeping;
    }

    // Keeps the lease until stop; never throws.
    private async Task RunAsync(CancellationToken stop)
    {
        try
        {
            await KeepAsync(stop).ConfigureAwait(false);
        }
        catch (Exception) when (!stop.IsCancellationRequested)
        {
            // Only a logger of the application's can throw here. A keeper that stopped renewing lets the lease run out
            // while the job still runs, so the claim is given up now, as for any heartbeat the store did not answer.
            MarkLost();
        }
        catch (Exception)
        {
            // The run already ended.
        }
    }

    private async Task KeepAsync(CancellationToken stop)
    {
        var delay = _context.HeartbeatInterval;
        while (true)
        {
            // Every run stops its keeper, usually before the first heartbeat: no exception for that (an exception per run
            // is CPU a busy node spends for nothing).
            await Task.Delay(delay, _context.Time, stop).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (stop.IsCancellationRequested) return;

            var clock = _context.Clock;
            var sentAt = clock.UtcNow;
            var left = clock.Until(_leaseEnd - _context.LeaseSafetyMargin);
            if (left <= TimeSpan.Zero)
            {
                // No time left to renew (a failed heartbeat came back just before the deadline, or the keeper was late).
                MarkLost();
                return;
            }

            _lastSentAt = sentAt;
            var heartbeat = StartHeartbeat(left, stop);
            try
            {
                // The deadline is kept here, not left to the store: a store honours cancellation only as well as its
                // driver can. Npgsql cancels a running statement by sending PostgreSQL a cancel request on a new
                // connection; when that request arrives before the statement started it is ignored, and when the
                // server cannot be reached it is not delivered at all. The call then runs on for the driver's
                // cancellation timeout or the command timeout, while another node may already have claimed the job.
                if (await heartbeat.WaitAsync(left, _context.Time, stop).ConfigureAwait(false))
                {
                    // The database set lease_until = its now() + lease, and its now() is no earlier than our send time.
                    _leaseEnd = sentAt + _context.LeaseDuration;
                    _context.HeartbeatOutages.Reached(_claim.JobName);
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
            catch (TimeoutException) when (!heartbeat.IsCompleted)
            {
                _context.Metrics.HeartbeatFailed(_claim.JobName, typeof(TimeoutException).FullName!);
                if (_context.HeartbeatOutages.FirstFailure(_claim.JobName))
                {
                    Log.HeartbeatFailed(_context.Logger, _claim.JobName, _claim.Fence, nameof(TimeoutException),
                        $"no answer from the store within the {(long)left.TotalMilliseconds} ms left before the lease ends");
                }

                MarkLost();
                return;
            }
            catch (Exception ex)
            {
                _context.Metrics.HeartbeatFailed(_claim.JobName, ex.GetType().FullName!);
                if (_context.HeartbeatOutages.FirstFailure(_claim.JobName))
                {
                    Log.HeartbeatFailed(_context.Logger, _claim.JobName, _claim.Fence, ex.GetType().Name, EngineContext.Describe(ex));
                }

                if (clock.UtcNow >= _leaseEnd - _context.LeaseSafetyMargin)
                {
                    MarkLost();
                    return;
                }

                // Retry sooner than a regular heartbeat: the lease is running out.
                delay = TimeMath.Min(_context.HeartbeatInterval, TimeSpan.FromSeconds(1));
            }
        }
    }

    // One heartbeat, cancelled when the time left on the lease is up. The keeper may stop waiting for it before it ends
    // (see RunAsync): its cancellation source is disposed, and its outcome observed, only once it really has.
    private Task<bool> StartHeartbeat(TimeSpan left, CancellationToken stop)
    {
        var call = CancellationTokenSource.CreateLinkedTokenSource(stop);
        call.CancelAfter(left);
        // Started off this flow: a store may block before its first await (Microsoft.Data.Sqlite runs its "async" calls
        // synchronously, and BEGIN IMMEDIATE waits up to the 30 s busy timeout for another process's write lock). Called
        // inline, the deadline wait below only began once that wait was over, long after the lease had ended.
        var heartbeat = Task.Run(() => _context.Store.HeartbeatAsync(_claim, _context.LeaseDuration, call.Token), CancellationToken.None);

        _ = heartbeat.ContinueWith(static (task, state) =>
        {
            _ = task.Exception;
            ((CancellationTokenSource)state!).Dispose();
        }, call, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return heartbeat;
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
}
