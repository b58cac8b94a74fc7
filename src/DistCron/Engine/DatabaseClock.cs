namespace DistCron.Engine;

/// <summary>
/// The node's view of the database clock: the best lower bound of the database time that its round trips gave, plus
/// the monotonic time elapsed since. Every scheduling decision uses it, never the machine's wall clock, so a node whose
/// clock is minutes off behaves exactly like the others.
/// </summary>
/// <remarks>
/// <para>The database reads its clock somewhere inside the round trip, so when the answer arrives the database time is
/// at least the value read, and at most that plus the round trip. Anchoring on the value read at the END of the round
/// trip makes the estimate lag the database by up to one round trip but never run ahead of it. Leading would be wrong
/// in a way lagging is not: "the first occurrence after now" computed from a clock that runs ahead can step over an
/// occurrence the database has not reached yet (seen in the chaos audit when start-up made a round trip slow), while a
/// lagging clock at worst returns an occurrence that is a few milliseconds past, which is then claimed and run.</para>
/// <para>Each round trip is such a lower bound, and the highest one is kept: a round trip slowed by a busy machine no
/// longer drags the estimate back. That lag opened the due gates of jobs claimed ahead late, by as much as the estimate
/// lagged. A kept bound is trusted only while
/// it stays consistent: it loses <see cref="MaxDriftRate"/> of the elapsed time, so a database clock running that
/// much slower than this machine's monotonic clock still never falls behind it; it is replaced once it is
/// <see cref="MaxAnchorAge"/> old, and as soon as a round trip shows the database clock below it (a clock stepped
/// back), since the database cannot be later than the value it read plus the round trip.</para>
/// <para>Only <see cref="TimeProvider.GetTimestamp"/> (monotonic) is read here.</para>
/// </remarks>
internal sealed class DatabaseClock
{
    /// <summary>How much faster this machine's monotonic clock may run than the database's, as a fraction.</summary>
    internal const double MaxDriftRate = 50e-6;

    /// <summary>How long one round trip's reading is kept when later ones are worse.</summary>
    internal static readonly TimeSpan MaxAnchorAge = TimeSpan.FromSeconds(10);

    private readonly TimeProvider _time;
    private readonly object _gate = new();
    private DateTimeOffset _anchor;
    private long _anchorTimestamp;
    private bool _synchronized;

    public DatabaseClock(TimeProvider time) => _time = time;

    /// <summary>True once a database time was observed.</summary>
    public bool IsSynchronized
    {
        get { lock (_gate) return _synchronized; }
    }

    /// <summary>The monotonic timestamp to pass to <see cref="Observe"/> for a round trip that starts now.</summary>
    public long RoundTripStarts() => _time.GetTimestamp();

    /// <summary>Records the database time read by a round trip that started at <paramref name="sentAt"/> (from
    /// <see cref="RoundTripStarts"/>) and has just ended.</summary>
    public void Observe(DateTimeOffset databaseNow, long sentAt)
    {
        var end = _time.GetTimestamp();
        var read = databaseNow.ToUniversalTime();
        var roundTrip = _time.GetElapsedTime(sentAt, end);
        lock (_gate)
        {
            if (_synchronized && _time.GetElapsedTime(_anchorTimestamp, end) < MaxAnchorAge)
            {
                var kept = EstimateAt(end);
                if (kept >= read && kept <= read + roundTrip) return; // the kept bound is higher and still possible
            }

            _anchor = read;
            _anchorTimestamp = end;
            _synchronized = true;
        }
    }

    /// <summary>The estimated current database time.</summary>
    public DateTimeOffset UtcNow
    {
        get
        {
            lock (_gate)
            {
                if (!_synchronized) throw new InvalidOperationException("The database clock has not been read yet.");
                return EstimateAt(_time.GetTimestamp());
            }
        }
    }

    /// <summary>How long until the database clock reaches <paramref name="instant"/> (zero when it already has).</summary>
    public TimeSpan Until(DateTimeOffset instant)
    {
        var remaining = instant - UtcNow;
        return remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero;
    }

    private DateTimeOffset EstimateAt(long timestamp)
    {
        var elapsed = _time.GetElapsedTime(_anchorTimestamp, timestamp);
        return _anchor + elapsed - TimeSpan.FromTicks((long)Math.Ceiling(elapsed.Ticks * MaxDriftRate));
    }
}
