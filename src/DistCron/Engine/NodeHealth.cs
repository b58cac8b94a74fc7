namespace DistCron.Engine;

/// <summary>
/// What this node's loop last did, for the health check: when it last went round, and whether its last store round trip
/// failed. Written by the loop, read by <see cref="Hosting.DistCronHealthCheck"/>; one instance per container.
/// </summary>
internal sealed class NodeHealth
{
    private readonly TimeProvider _time;
    private long _lastIteration;
    private long _lastStoreSuccess;
    private long _lastStoreFailure;
    private string? _lastStoreError;

    public NodeHealth(TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        _lastIteration = _time.GetTimestamp(); // "created" counts as the first sign of life: startup gets the stall window
    }

    /// <summary>True when this node has no jobs, so its loop never runs (nothing to stall).</summary>
    public bool HasNoJobs { get; private set; }

    /// <summary>True once the node migrated, seeded and registered.</summary>
    public bool Started { get; private set; }

    public void NoJobs() => HasNoJobs = true;

    public void StartedUp() => Started = true;

    public void LoopIteration()
    {
        Interlocked.Exchange(ref _lastIteration, _time.GetTimestamp());
        Interlocked.Increment(ref _iterations);
    }

    /// <summary>How many times the loop went round (tests: a busy loop must not go round per run).</summary>
    public long Iterations => Interlocked.Read(ref _iterations);
    private long _iterations;

    public void StoreSucceeded() => Interlocked.Exchange(ref _lastStoreSuccess, _time.GetTimestamp());

    public void StoreFailed(string error)
    {
        Volatile.Write(ref _lastStoreError, error);
        Interlocked.Exchange(ref _lastStoreFailure, _time.GetTimestamp());
    }

    /// <summary>Time since the loop last went round (or since creation).</summary>
    public TimeSpan SinceLastIteration => _time.GetElapsedTime(Interlocked.Read(ref _lastIteration));

    /// <summary>The last store error when the latest store round trip failed; null when it succeeded.</summary>
    public string? CurrentStoreError =>
        Interlocked.Read(ref _lastStoreFailure) > Interlocked.Read(ref _lastStoreSuccess) ? Volatile.Read(ref _lastStoreError) : null;
}
