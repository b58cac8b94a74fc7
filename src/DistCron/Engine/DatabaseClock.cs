namespace DistCron.Engine;

/// <summary>
/// The node's view of the database clock: the last <c>now()</c> the database returned plus the monotonic time elapsed
/// since. Every scheduling decision uses it, never the machine's wall clock, so a node whose clock is minutes off
/// behaves exactly like the others.
/// </summary>
/// <remarks>
/// The database's <c>now()</c> is taken somewhere inside the round trip; anchoring it at the round trip's midpoint
/// bounds the error by half the latency. Only <see cref="TimeProvider.GetTimestamp"/> (monotonic) is read here.
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

    /// <summary>A monotonic timestamp to pass to <see cref="Observe"/>; take it right before the round trip.</summary>
    public long StartRoundTrip() => _time.GetTimestamp();

    /// <summary>Records the database time returned by a round trip that started at <paramref name="startTimestamp"/>.</summary>
    public void Observe(DateTimeOffset databaseNow, long startTimestamp)
    {
        var end = _time.GetTimestamp();
        var midpoint = startTimestamp + ((end - startTimestamp) / 2);
        lock (_gate)
        {
            _anchor = databaseNow.ToUniversalTime();
            _anchorTimestamp = midpoint;
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
