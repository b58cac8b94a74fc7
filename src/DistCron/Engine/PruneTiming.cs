namespace DistCron.Engine;

/// <summary>
/// When a node prunes history: the first prune soon after start-up, at a random point of a short window so a fleet
/// that restarts together does not prune all at once; then once per <see cref="HistoryRetention.Interval"/>. Waiting a
/// whole interval first meant pods that live less than an interval (autoscaled, frequently redeployed) never pruned.
/// </summary>
internal static class PruneTiming
{
    /// <summary>The first prune comes within this long of start-up (within one interval when that is shorter).</summary>
    public static readonly TimeSpan FirstPruneWindow = TimeSpan.FromMinutes(1);

    /// <summary>How long after start-up the first prune is due.</summary>
    /// <param name="interval">The retention interval (positive; validated at start-up).</param>
    /// <param name="jitter">Uniform in [0, 1): where in the window this node falls.</param>
    public static TimeSpan FirstPruneAfter(TimeSpan interval, double jitter)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        if (!(jitter >= 0 && jitter < 1)) throw new ArgumentOutOfRangeException(nameof(jitter), jitter, "The jitter must be in [0, 1).");
        var window = interval < FirstPruneWindow ? interval : FirstPruneWindow;
        return TimeSpan.FromTicks((long)(window.Ticks * jitter));
    }
}
