namespace DistCron.Storage;

/// <summary>
/// How a watcher outside the engine (the dashboard's change feed) follows a store's changes without polling per page:
/// the store's own signals, observed without taking them from the node loop, plus one cheap statement for the changes
/// the store sends no signal for. Implemented by the PostgreSQL store (LISTEN/NOTIFY); a store without it is polled.
/// </summary>
internal interface IStoreChangeWatch
{
    /// <summary>
    /// Completes at the store's next signal for <paramref name="app"/> (a NOTIFY, or the LISTEN connection coming
    /// (back) up, when notifications may have been missed). Observing never consumes the wake-up the node loop's
    /// <see cref="IJobStore.WaitForSignalAsync"/> is owed. Starts the LISTEN connection when nothing has yet.
    /// </summary>
    Task NextSignalAsync(string app);

    /// <summary>
    /// A number that changes when what the store signals nothing for changes: a claim, a completion, a lease that ran
    /// out, an orphan flag, a job removed, a node joining, leaving or falling silent (heartbeat older than
    /// <paramref name="nodeLiveWindow"/>). One statement of aggregates, no rows returned.
    /// </summary>
    Task<long> ReadChangeTokenAsync(string app, TimeSpan nodeLiveWindow, CancellationToken cancellationToken);
}
