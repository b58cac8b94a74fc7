namespace DistCron.Engine;

/// <summary>Capped exponential backoff with jitter for store outages: 1 s, 2 s, 4 s … 30 s, each ±20 %.</summary>
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

    public static Backoff ForStore() => new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));

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
