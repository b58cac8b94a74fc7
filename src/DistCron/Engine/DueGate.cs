using System.Collections.Concurrent;
using DistCron.Storage;

namespace DistCron.Engine;

/// <summary>
/// Holds a job claimed ahead of its due time (<see cref="EngineContext.ClaimAhead"/>) until the due instant of the
/// database clock estimate, which never runs ahead of the database: never early. Jobs due at the same instant share a
/// <see cref="DueGate"/>.
/// </summary>
internal sealed class DueGates
{
    private static readonly TimeSpan PreciseTail = TimeSpan.FromMilliseconds(5);

    private readonly EngineContext _context;
    private readonly ConcurrentDictionary<DateTimeOffset, DueGate> _gates = new();

    public DueGates(EngineContext context) => _context = context;

    /// <summary>
    /// Waits for the claim's due instant. Due false: shutdown cut the wait short. Gate null: nothing to wait for (due
    /// already, or a manual trigger, which runs when it is claimed).
    /// </summary>
    public async Task<(bool Due, DueGate? Gate)> WaitUntilDueAsync(ClaimedJob claim, CancellationToken hardStop)
    {
        if (claim.IsManualTrigger || _context.Clock.Until(claim.DueAt) <= TimeSpan.Zero) return (true, null);
        var gate = _gates.GetOrAdd(claim.DueAt, at => new DueGate(() => OpenAtAsync(at)));
        gate.Join();
        try
        {
            await gate.Open.WaitAsync(hardStop).ConfigureAwait(false);
            return (true, gate);
        }
        catch (OperationCanceledException)
        {
            gate.Entered(); // never will: do not hold the others' completions
            return (false, null);
        }
    }

    private async Task OpenAtAsync(DateTimeOffset dueAt)
    {
        try
        {
            // .NET timers run on a coarse clock (on Linux CLOCK_MONOTONIC_COARSE: one kernel tick), and may fire early or
            // late by a few ms; a gate that opens late starts its whole batch late. So the timer only brings the gate
            // within PreciseTail of its instant, and the rest is slept on this thread (Thread.Sleep), a thread blocked a
            // few milliseconds once per due instant. Wait again until the estimate is there: never early.
            for (var wait = _context.Clock.Until(dueAt); wait > TimeSpan.Zero; wait = _context.Clock.Until(dueAt))
            {
                // A TimeProvider other than the system's (tests) moves only through its timers: no sleeping past it.
                var coarse = _context.Time != TimeProvider.System ? wait : wait - PreciseTail;
                if (coarse > TimeSpan.Zero) await Task.Delay(TimeSpan.FromMilliseconds(Math.Ceiling(coarse.TotalMilliseconds)), _context.Time).ConfigureAwait(false);
                else Thread.Sleep((int)Math.Ceiling(wait.TotalMilliseconds));
            }
        }
        finally
        {
            _gates.TryRemove(dueAt, out _); // a late arrival makes a new gate, which is already open
        }
    }
}

/// <summary>
/// The jobs claimed ahead for one due instant: one timer opens the gate for all of them, and their completions wait
/// (briefly) until every one of them has been entered. On a node that shares its cores with the database, the first
/// runs' completions (a round trip and database work each) otherwise delay the start of the last ones in a large batch.
/// </summary>
internal sealed class DueGate
{
    private static readonly TimeSpan MaxCompletionHold = TimeSpan.FromMilliseconds(50);
    private readonly Lazy<Task> _open;
    private readonly TaskCompletionSource _everyoneEntered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _members;
    private int _entered;

    public DueGate(Func<Task> openAt) => _open = new Lazy<Task>(openAt);

    /// <summary>Completes on the due instant; the timer starts with the first member.</summary>
    public Task Open => _open.Value;

    public void Join() => Interlocked.Increment(ref _members);

    /// <summary>A member's job method was entered (or never will be).</summary>
    public void Entered()
    {
        if (Interlocked.Increment(ref _entered) >= Volatile.Read(ref _members)) _everyoneEntered.TrySetResult();
    }

    /// <summary>Waits until every member entered its method, at most <see cref="MaxCompletionHold"/>.</summary>
    public async Task EveryoneEnteredAsync(TimeProvider time)
    {
        if (_everyoneEntered.Task.IsCompleted) return;
        using var cancel = new CancellationTokenSource();
        await Task.WhenAny(_everyoneEntered.Task, Task.Delay(MaxCompletionHold, time, cancel.Token)).ConfigureAwait(false);
        cancel.Cancel();
    }
}
