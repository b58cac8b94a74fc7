using DistCron.Diagnostics;

namespace DistCron.Engine;

/// <summary>
/// Applies <see cref="HistoryRetention"/>: started by the loop when it is about to sleep (nothing more is due), first
/// soon after start-up and then at most once per interval (<see cref="PruneTiming"/>), and run in the background so
/// housekeeping never delays a claim. The store deletes in small batches, each its own short statement. Failures are logged and retried at the next interval; they never affect
/// scheduling.
/// </summary>
internal sealed class HistoryPruner
{
    // A prune that takes longer than this is cut short; the rest goes next time.
    private static readonly TimeSpan MaxDuration = TimeSpan.FromMinutes(5);

    private readonly EngineContext _context;
    private readonly HistoryRetention _retention;
    private long _nextPrune;
    private Task _running = Task.CompletedTask;

    public HistoryPruner(EngineContext context, HistoryRetention retention)
    {
        _context = context;
        _retention = retention;
        // Soon after start-up, at this node's random point of a short window (see PruneTiming); then every interval.
        var first = retention.Interval > TimeSpan.Zero
            ? PruneTiming.FirstPruneAfter(retention.Interval, retention.FirstPruneJitter ?? Random.Shared.NextDouble())
            : TimeSpan.Zero;
        _nextPrune = context.Time.GetTimestamp() + Ticks(first);
    }

    /// <summary>The prune in progress (or a completed task). Never faults.</summary>
    public Task Running => _running;

    private bool Disabled => !_retention.Enabled || (_retention.MaxAge is null && _retention.MaxRunsPerJob is null);

    /// <summary>Starts a prune in the background when one is due and none is running. Called by the loop only.</summary>
    public void StartIfDue(CancellationToken stopping)
    {
        if (Disabled || !_running.IsCompleted || stopping.IsCancellationRequested) return;
        var now = _context.Time.GetTimestamp();
        if (now < _nextPrune) return;
        _nextPrune = now + Ticks(_retention.Interval);
        _running = Task.Run(() => PruneAsync(stopping), CancellationToken.None);
    }

    private async Task PruneAsync(CancellationToken stopping)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        limit.CancelAfter(MaxDuration);
        try
        {
            var deleted = await _context.Store.PruneHistoryAsync(_context.App, _retention.MaxAge, _retention.MaxRunsPerJob,
                _retention.BatchSize, limit.Token).ConfigureAwait(false);
            _context.Metrics.Pruned(deleted);
            if (deleted > 0) Log.HistoryPruned(_context.Logger, deleted, _context.App);
        }
        catch (Exception) when (stopping.IsCancellationRequested)
        {
            // Shutting down: the rest goes next time.
        }
        catch (Exception ex)
        {
            Log.HistoryPruneFailed(_context.Logger, _context.App, ex.GetType().Name, EngineContext.Describe(ex));
        }
    }

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * _context.Time.TimestampFrequency);
}
