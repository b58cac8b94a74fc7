using DistCron.Diagnostics;
using DistCron.Scheduling;

namespace DistCron.Engine;

// The loop of a node that does not run jobs (DistCronOptions.RunsJobs = false).
internal sealed partial class NodeLoop
{
    // Started like any node (migrated, seeded, registered), it only keeps its registration alive: it is listed as a
    // live node with code for its jobs, so they are not flagged orphaned and stay overdue in the jobs health check
    // while no node runs them. It never claims, and it never prunes history: retention is the running fleet's
    // housekeeping, and a laptop on a shared database must not delete its history by its own settings.
    private async Task KeepRegisteredAsync(CancellationToken stopping)
    {
        Log.NodeDoesNotRunJobs(_context.Logger, _context.NodeId, _context.App, _definitions.Count);
        var backoff = Backoff.ForStore();
        while (!stopping.IsCancellationRequested)
        {
            _context.Health.LoopIteration();
            var wake = _wake.WaitTask;
            if (_registration.UntilDue() <= TimeSpan.Zero)
            {
                try
                {
                    await _registration.RegisterAsync(stopping).ConfigureAwait(false);
                    _context.Health.StoreSucceeded();
                    if (backoff.Reset()) Log.StoreRecovered(_context.Logger, _context.Store.Kind);
                }
                catch (Exception) when (stopping.IsCancellationRequested)
                {
                    break;
                }
                catch (Exception ex)
                {
                    _context.Health.StoreFailed(ex.GetType().Name + ": " + EngineContext.Describe(ex));
                    if (!await BackOffAsync(backoff, "register", ex, wake, stopping).ConfigureAwait(false)) break;
                    continue;
                }
            }

            // Woken at least every poll interval, as a claiming loop is, so the liveness check reads it the same way.
            await SleepAsync(TimeMath.Min(_registration.UntilDue(), _context.PollInterval), wake, stopping).ConfigureAwait(false);
        }
    }
}
