using System.Collections.Concurrent;

namespace DistCron.Engine;

/// <summary>
/// A node's runs in flight: the jobs it holds a lease on (until each run's handling ends), the slots their methods
/// occupy (<see cref="DistCronOptions.MaxConcurrentJobs"/> counts running methods), and the app's jobs it turned out to
/// have no code for. Run threads free slots and end runs; the node loop reads the counts to pace its claims, and is
/// woken when a change is worth a claim (<see cref="ClaimPacer.WakeOn"/>).
/// </summary>
internal sealed class RunSlots
{
    private readonly int _slots;
    private readonly int _maxLeases;
    private readonly ClaimPacer _pacer;
    private readonly WakeSignal _wake;

    // From a run's claim until its handling ends (its completion written): the claim excludes those jobs, and a
    // shutdown waits for them.
    private readonly ConcurrentDictionary<string, Run> _active = new(StringComparer.Ordinal);
    private readonly HashSet<string> _foreign = new(StringComparer.Ordinal); // loop thread only

    // Runs holding a slot: from their start until the job method returns (or, when it never ran or was abandoned, until
    // the run's handling ends).
    private int _running;

    // _active's entries, counted apart because ConcurrentDictionary.Count takes every lock, and FreeSlots is read as
    // each run returns and ends.
    private int _held;

    /// <param name="slots">The node's slots.</param>
    /// <param name="pacer">Whose <see cref="ClaimPacer.WakeOn"/> says which changes wake the loop.</param>
    /// <param name="wake">The loop's wake-up.</param>
    public RunSlots(int slots, ClaimPacer pacer, WakeSignal wake)
    {
        _slots = slots;
        _maxLeases = slots + CompletionWriter.MaxBatch;
        _pacer = pacer;
        _wake = wake;
    }

    /// <summary>Runs whose handling has not ended: the leases this node holds.</summary>
    public int Held => Volatile.Read(ref _held);

    /// <summary>
    /// Slots not held by a running method: what the loop claims into, and what a finishing run checks before waking it.
    /// Also capped by the leases the node holds (running plus completions not yet written) at the slots plus one
    /// completion batch: when the store records completions more slowly than the node runs jobs, claiming more would
    /// only pile up leases nobody heartbeats (a run's lease keeper stops when its method returns).
    /// </summary>
    public int FreeSlots => Math.Min(SlotsNotRunning, LeasesLeft);

    private int SlotsNotRunning => _slots - Volatile.Read(ref _running);

    private int LeasesLeft => _maxLeases - Volatile.Read(ref _held);

    /// <summary>
    /// The jobs with a run in flight, one snapshot per loop round for the count and the claim's exclusions:
    /// ConcurrentDictionary.Keys takes every lock and copies.
    /// </summary>
    public ICollection<string> ActiveNames() => _active.Keys;

    /// <summary>The handling of every run in flight, for a shutdown to wait on.</summary>
    public Task[] InFlight() => _active.Values.Select(r => r.Handled).ToArray();

    /// <summary>The runs holding a slot (for the node's gauges).</summary>
    public IEnumerable<Run> Running() => _active.Values.Where(r => r.HoldsSlot);

    /// <summary>
    /// What a claim must not take: jobs this node is still running (or still waiting on after abandoning them), and
    /// jobs of the app it has no code for. Claims name what not to take rather than every job this node has code for: a
    /// list of every name made each claim cost the database a plan over the array and a lookup per name
    /// (docs/design.md).
    /// </summary>
    public List<string> ExcludedNames(ICollection<string> active)
    {
        var excluded = new List<string>(active.Count + _foreign.Count);
        excluded.AddRange(active);
        excluded.AddRange(_foreign);
        return excluded;
    }

    /// <summary>Never claim <paramref name="name"/> again: this node has no code for it. Loop thread only.</summary>
    public void NoCodeFor(string name) => _foreign.Add(name);

    /// <summary>Takes a slot and a lease for a run of <paramref name="name"/>, registered before its work starts.</summary>
    /// <param name="name">The job.</param>
    /// <param name="startedAt">The monotonic timestamp the slot is taken (the run's age is measured from it).</param>
    public Run Start(string name, long startedAt)
    {
        var run = new Run(this, name, startedAt);
        _active[name] = run;
        Interlocked.Increment(ref _held);
        Interlocked.Increment(ref _running);
        return run;
    }

    // Run threads ask the pacer's rules with this node's counters; see ClaimPacer.WakeOn.
    private void SlotFreed()
    {
        if (ClaimPacer.SlotFreeWorthWaking(_pacer.WakeOn, FreeSlots, _slots)) _wake.Set();
    }

    private void Released(Run run)
    {
        _active.TryRemove(new KeyValuePair<string, Run>(run.Name, run));
        Interlocked.Decrement(ref _held);
    }

    private void HandlingEnded(bool slotFreedHere)
    {
        if (ClaimPacer.HandlingEndWorthWaking(_pacer.WakeOn, slotFreedHere, SlotsNotRunning, LeasesLeft, _slots)) _wake.Set();
    }

    /// <summary>One run's slot and lease: the slot is freed exactly once, when the method returns or the run ends.</summary>
    internal sealed class Run
    {
        private readonly RunSlots _owner;
        private readonly TaskCompletionSource _handled = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _slot = 1;

        public Run(RunSlots owner, string name, long startedAt)
        {
            _owner = owner;
            Name = name;
            StartedAt = startedAt;
        }

        public string Name { get; }

        /// <summary>The monotonic timestamp the slot was taken.</summary>
        public long StartedAt { get; }

        /// <summary>True until the slot is freed: the job method is running (or has not been started yet).</summary>
        public bool HoldsSlot => Volatile.Read(ref _slot) == 1;

        /// <summary>Completes when the run's handling has ended.</summary>
        public Task Handled => _handled.Task;

        /// <summary>
        /// The job method has returned: the run no longer occupies a slot. The completion's round trip, and the wait for
        /// its batch, are the engine's business, not a running job: holding the slot through them would make a node's
        /// throughput its slots divided by the claim, verify and completion round trips.
        /// </summary>
        public void MethodReturned()
        {
            if (FreeSlot()) _owner.SlotFreed();
        }

        /// <summary>The run's handling has ended (recorded, released, errored or lost): its lease is no longer held.</summary>
        public void End()
        {
            var slotFreedHere = FreeSlot(); // the method never ran, or was abandoned and has now ended
            _owner.Released(this);
            _handled.TrySetResult();
            _owner.HandlingEnded(slotFreedHere);
        }

        private bool FreeSlot()
        {
            if (Interlocked.Exchange(ref _slot, 0) == 0) return false;
            Interlocked.Decrement(ref _owner._running);
            return true;
        }
    }
}
