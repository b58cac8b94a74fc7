namespace DistCron.Engine;

/// <summary>
/// The node's view of the database clock: the last <c>now()</c> the database returned plus the monotonic time elapsed
/// since. Every scheduling decision uses it, never the machine's wall clock, so a node whose clock is minutes off
/// behaves exactly like the others.
/// </summary>
/// <remarks>
/// The database's <c>now()</c> is taken somewhere inside the round trip. It is anchored at the END of the round trip,
/// so the estimate may lag the database by up to one round trip but never runs ahead of it. Leading would be wrong in
/// a way lagging is not: "the first occurrence after now" computed from a clock that runs ahead can step over an
/// occurrence the database has not reached yet (seen in the chaos audit when start-up made a round trip slow), while a
/// lagging clock at worst returns an occurrence that is a few milliseconds past, which is then claimed and run.
/// Only <see cref="TimeProvider.GetTimestamp"/> (monotonic) is read here.
/// </remarks>
internal sealed class DatabaseClock
{
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

    /// <summary>Records the database time returned by a round trip that has just ended.</summary>
    public void Observe(DateTimeOffset databaseNow)
    {
        var end = _time.GetTimestamp();
        lock (_gate)
        {
            _anchor = databaseNow.ToUniversalTime();
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
                return _anchor + _time.GetElapsedTime(_anchorTimestamp);
            }
        }
    }

    /// <summary>How long until the database clock reaches <paramref name="instant"/> (zero when it already has).</summary>
    public TimeSpan Until(DateTimeOffset instant)
    {
        var remaining = instant - UtcNow;
        return remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero;
    }
}
