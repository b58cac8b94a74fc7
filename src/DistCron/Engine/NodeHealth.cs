namespace DistCron.Engine;

/// <summary>
/// What this node's loop last did, for the health checks: when it last showed a sign of life (a round, or a store round
/// trip that succeeded or failed), whether it finished starting, and whether its last store round trip failed. Written
/// by the loop, read by <see cref="Hosting.DistCronLivenessCheck"/> and <see cref="Hosting.DistCronReadinessCheck"/>;
/// one instance per container.
/// </summary>
internal sealed class NodeHealth
{
    private readonly TimeProvider _time;
    private long _lastSignOfLife;
    private long _storeRoundTrips; // orders success and failure even when the clock reads the same tick for both
    private long _lastStoreSuccess;
    private long _lastStoreFailure;
    private string? _lastStoreError;
    private long _iterations;
    private volatile bool _hasNoJobs;
    private volatile bool _started;

    public NodeHealth(TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        _lastSignOfLife = _time.GetTimestamp(); // "created" counts as the first sign of life: start-up gets the stall window
    }

    /// <summary>True when this node has no jobs, so its loop never runs (nothing to stall, nothing to start).</summary>
    public bool HasNoJobs => _hasNoJobs;

    /// <summary>True once the node migrated, seeded and registered.</summary>
    public bool Started => _started;

    public void NoJobs() => _hasNoJobs = true;

    public void StartedUp()
    {
        _started = true;
        Alive();
    }

    public void LoopIteration()
    {
        Alive();
        Interlocked.Increment(ref _iterations);
    }

    /// <summary>How many times the loop went round (tests: a busy loop must not go round per run).</summary>
    public long Iterations => Interlocked.Read(ref _iterations);

    // A store round trip that ends, either way, proves the loop is not stuck: during an outage the loop (or the
    // start-up retry) reports a failure per attempt, so a database outage never reads as a dead loop.
    public void StoreSucceeded()
    {
        Interlocked.Exchange(ref _lastStoreSuccess, Interlocked.Increment(ref _storeRoundTrips));
        Alive();
    }

    public void StoreFailed(string error)
    {
        Volatile.Write(ref _lastStoreError, error);
        Interlocked.Exchange(ref _lastStoreFailure, Interlocked.Increment(ref _storeRoundTrips));
        Alive();
    }

    /// <summary>Time since the loop last showed a sign of life (or since creation).</summary>
    public TimeSpan SinceLastSignOfLife => _time.GetElapsedTime(Interlocked.Read(ref _lastSignOfLife));

    /// <summary>The last store error when the latest store round trip failed; null when it succeeded.</summary>
    public string? CurrentStoreError =>
        Interlocked.Read(ref _lastStoreFailure) > Interlocked.Read(ref _lastStoreSuccess) ? Volatile.Read(ref _lastStoreError) : null;

    private void Alive() => Interlocked.Exchange(ref _lastSignOfLife, _time.GetTimestamp());
}
