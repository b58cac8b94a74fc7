namespace DistCron.TestNode;

/// <summary>
/// A wall clock that is wrong by a fixed offset, as on a server whose NTP is broken. Timestamps (used to measure
/// durations and delays) are untouched: only <see cref="GetUtcNow"/> lies. A node running with it must still run
/// every occurrence exactly when the DATABASE clock says so; the multi-process audits prove it.
/// </summary>
public sealed class SkewedTimeProvider(TimeSpan offset) : TimeProvider
{
    public TimeSpan Offset { get; } = offset;

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + Offset;
}
