namespace DistCron.Engine;

/// <summary>
/// The one async "something changed" signal: the node loop's wake-up (a slot freed, shutdown), the SQLite store's
/// in-process write signal, and the PostgreSQL LISTEN connection's notifications per app. <see cref="Set"/> completes
/// the task every current waiter holds and starts a new one; take <see cref="WaitTask"/> before checking state, so a
/// set in between is not missed. A set is also remembered as pending until <see cref="ConsumePending"/>, for waiters
/// that must not lose a signal that arrived while nobody waited.
/// </summary>
internal sealed class WakeSignal
{
    // Task.Delay's upper bound; longer (or infinite) waits are cut to it.
    private static readonly TimeSpan MaxWait = TimeSpan.FromMilliseconds(int.MaxValue);

    private TaskCompletionSource _current = NewSource();
    private int _pending;

    public Task WaitTask => Volatile.Read(ref _current).Task;

    public void Set()
    {
        Volatile.Write(ref _pending, 1);
        Interlocked.Exchange(ref _current, NewSource()).TrySetResult();
    }

    /// <summary>True when a set happened since the last call (or since a wait that consumed it), and clears it.</summary>
    public bool ConsumePending() => Interlocked.Exchange(ref _pending, 0) == 1;

    /// <summary>
    /// Waits for the next set, or until <paramref name="timeout"/> passes (zero: only looks; infinite or beyond
    /// Task.Delay's range: its maximum). True when signalled. With <paramref name="consumePending"/>, a pending set
    /// counts at once and a signalled wait consumes it. A cancelled wait throws even when a set raced the cancellation;
    /// the set then stays pending for the next waiter.
    /// </summary>
    public async Task<bool> WaitAsync(TimeSpan timeout, bool consumePending, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var signalled = WaitTask;
        if (consumePending && ConsumePending()) return true;
        if (timeout == Timeout.InfiniteTimeSpan || timeout > MaxWait) timeout = MaxWait;
        if (timeout <= TimeSpan.Zero) return signalled.IsCompleted;

        using var delayCancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var first = await Task.WhenAny(signalled, Task.Delay(timeout, delayCancellation.Token)).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        if (first != signalled) return false;
        await delayCancellation.CancelAsync().ConfigureAwait(false); // stop the timer
        if (consumePending) ConsumePending();
        return true;
    }

    private static TaskCompletionSource NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
