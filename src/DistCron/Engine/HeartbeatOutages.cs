using System.Collections.Concurrent;

namespace DistCron.Engine;

/// <summary>
/// The jobs whose heartbeats are failing on this node. A failure is logged once per job per outage: during a database
/// outage every running job's keeper retries until its lease runs out, and a line per retry and per run buried the one
/// line that mattered. A job's outage ends when a heartbeat or a completion of it reaches the store again.
/// </summary>
internal sealed class HeartbeatOutages
{
    private readonly ConcurrentDictionary<string, byte> _failing = new(StringComparer.Ordinal);

    /// <summary>True for the first failure of <paramref name="job"/> since its outage began: log it.</summary>
    public bool FirstFailure(string job) => _failing.TryAdd(job, 0);

    /// <summary>The store answered for <paramref name="job"/>: its next failure is a new outage.</summary>
    public void Reached(string job)
    {
        if (!_failing.IsEmpty) _failing.TryRemove(job, out _);
    }
}
