namespace DistCron.Engine;

/// <summary>A resettable wake-up for the node loop (a slot freed, shutdown). Take the task before checking state.</summary>
internal sealed class WakeSignal
{
    private TaskCompletionSource _current = NewSource();

    public Task WaitTask => Volatile.Read(ref _current).Task;

    public void Set() => Interlocked.Exchange(ref _current, NewSource()).TrySetResult();

    private static TaskCompletionSource NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
