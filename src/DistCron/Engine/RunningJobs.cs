using System.Collections.Concurrent;
using DistCron.Storage;

namespace DistCron.Engine;

/// <summary>
/// The runs whose lease this node is keeping alive, with their keepers: what a shutdown names at its deadline (job,
/// occurrence, fence, lease end) and whose renewal it stops when it gives up waiting, so the lease end it logs is the
/// moment the fleet can take the occurrence over.
/// </summary>
internal sealed class RunningJobs
{
    private readonly ConcurrentDictionary<LeaseKeeper, ClaimedJob> _runs = new(ReferenceEqualityComparer.Instance);

    /// <summary>Lists a run from its keeper's start until its handling ends (dispose the result).</summary>
    public Listing Add(ClaimedJob claim, LeaseKeeper keeper)
    {
        _runs[keeper] = claim;
        return new Listing(this, keeper);
    }

    /// <summary>The runs listed now.</summary>
    public IReadOnlyList<(ClaimedJob Claim, LeaseKeeper Keeper)> Snapshot() =>
        _runs.Select(r => (r.Value, r.Key)).OrderBy(r => r.Value.Token.JobName, StringComparer.Ordinal).ToArray();

    /// <summary>Stops renewing every listed lease and waits (bounded) until each keeper has stopped.</summary>
    public static async Task StopRenewingAsync(IReadOnlyList<(ClaimedJob Claim, LeaseKeeper Keeper)> runs, TimeProvider time)
    {
        if (runs.Count == 0) return;
        var stopped = Task.WhenAll(runs.Select(r => r.Keeper.StopAsync()));
        // A keeper waits out at most one heartbeat, which honours the stop's cancellation; the bound is for a store
        // that does not.
        await stopped.WaitAsync(TimeSpan.FromSeconds(1), time).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    /// <summary>One run's place in the list.</summary>
    internal readonly struct Listing(RunningJobs owner, LeaseKeeper keeper) : IDisposable
    {
        public void Dispose() => owner._runs.TryRemove(keeper, out _);
    }
}
