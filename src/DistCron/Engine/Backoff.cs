namespace DistCron.Engine;

/// <summary>
/// Capped exponential backoff with jitter for store outages: 1 s, 2 s, 4 s, then every 5 s, each ±20 %. The cap is
/// low on purpose: one failed connection attempt per node every few seconds costs a database nothing, while a long cap
/// kept a fleet idle for up to half a minute after the database was back. (A restored LISTEN connection ends the wait
/// at once on PostgreSQL.)
/// </summary>
internal sealed class Backoff
{
    private readonly TimeSpan _initial;
    private readonly TimeSpan _max;
    private int _failures;

    public Backoff(TimeSpan initial, TimeSpan max)
    {
        _initial = initial;
        _max = max;
    }

    /// <summary>The longest wait between two store attempts, jitter included.</summary>
    public static readonly TimeSpan LongestStoreDelay = TimeSpan.FromSeconds(6);

    public static Backoff ForStore() => new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5));

    /// <summary>Consecutive failures since the last success.</summary>
    public int Failures => _failures;

    /// <summary>Records a failure and returns how long to wait before the next try.</summary>
    public TimeSpan NextDelay()
    {
        var exponent = Math.Min(_failures, 20);
        _failures++;
        var ticks = Math.Min(_initial.Ticks * Math.Pow(2, exponent), _max.Ticks);
        // Jitter spreads the retries of a fleet that lost the database at the same moment.
        var jitter = 0.8 + (Random.Shared.NextDouble() * 0.4);
        return TimeSpan.FromTicks((long)(ticks * jitter));
    }

    /// <summary>Records a success; returns true when it ends an outage.</summary>
    public bool Reset()
    {
        var wasFailing = _failures > 0;
        _failures = 0;
        return wasFailing;
    }
}
