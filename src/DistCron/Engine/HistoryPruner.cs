using DistCron.Diagnostics;

namespace DistCron.Engine;

/// <summary>
/// Applies <see cref="HistoryRetention"/> when the loop is about to sleep anyway, at most once per interval, bounded by
/// the sleep it replaces so a due job is never claimed late because of housekeeping. Failures are logged and retried at
/// the next interval; they never affect scheduling.
/// </summary>
internal sealed class HistoryPruner
{
    // Below this much idle time pruning is not started: one batch must fit comfortably.
    private static readonly TimeSpan MinIdle = TimeSpan.FromSeconds(1);

    private readonly EngineContext _context;
    private readonly HistoryRetention _retention;
    private long _nextPrune;

    public HistoryPruner(EngineContext context, HistoryRetention retention)
    {
        _context = context;
        _retention = retention;
        // The first prune waits one interval: a fleet restarting together does not prune all at once at startup.
        _nextPrune = context.Time.GetTimestamp() + Ticks(retention.Interval);
    }

    private bool Disabled => !_retention.Enabled || (_retention.MaxAge is null && _retention.MaxRunsPerJob is null);

    /// <summary>Prunes when due and <paramref name="idle"/> is long enough. Never throws. Returns the time spent.</summary>
    public async Task<TimeSpan> PruneIfDueAsync(TimeSpan idle, CancellationToken stopping)
    {
        var started = _context.Time.GetTimestamp();
        if (Disabled || idle < MinIdle || started < _nextPrune) return TimeSpan.Zero;
        _nextPrune = _context.Time.GetTimestamp() + Ticks(_retention.Interval);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        limit.CancelAfter(idle);
        try
        {
            var deleted = await _context.Store.PruneHistoryAsync(_context.App, _retention.MaxAge, _retention.MaxRunsPerJob,
                _retention.BatchSize, limit.Token).ConfigureAwait(false);
            if (deleted > 0) Log.HistoryPruned(_context.Logger, deleted, _context.App);
        }
        catch (Exception) when (stopping.IsCancellationRequested)
        {
            // Shutting down: the rest goes next time.
        }
        catch (Exception ex)
        {
            // Cut short by the idle bound (the rest goes next time) or a store problem the claim loop will report.
            Log.StoreUnavailable(_context.Logger, _context.Store.Kind, "prune history", ex.GetType().Name, EngineContext.Describe(ex), 0);
        }

        return _context.Time.GetElapsedTime(started);
    }

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * _context.Time.TimestampFrequency);
}
