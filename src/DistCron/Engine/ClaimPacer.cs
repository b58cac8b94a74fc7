using DistCron.Scheduling;
using DistCron.Storage;

namespace DistCron.Engine;

/// <summary>When a freed slot or the end of a run's handling should wake the node loop.</summary>
internal enum WakeOn
{
    /// <summary>Not saturated: every freed slot and every ended run may be worth a claim.</summary>
    Always = 0,

    /// <summary>Saturated, no slot freed since the claim: the first freed slot starts the saturated wait.</summary>
    FirstFreeSlot = 1,

    /// <summary>Saturated, the wait started: the loop already sleeps until its deadline; only all slots free end it early.</summary>
    AllSlotsFree = 2,
}

/// <summary>
/// The node loop's claim pacing, as rules on values: whether a round claims, where its claim resumes, how long the loop
/// sleeps after it, and which run events wake it. <see cref="NodeLoop"/> does the I/O and asks this class at each step.
/// The rules are those of docs/design.md, "Find and claim" (slots, batching under saturation, resumed claims, claim
/// ahead, wake-ups).
/// </summary>
/// <remarks>
/// <para><b>Time.</b> Monotonic instants are <see cref="TimeProvider.GetTimestamp"/> values passed in by the caller;
/// database instants come from the claim and the caller's <see cref="DatabaseClock"/>. Nothing here reads a clock.</para>
/// <para><b>Threads.</b> An instance is owned by the loop thread: every method is called from it. The one exception is
/// <see cref="WakeOn"/>, which run threads read (volatile) to decide whether to wake the loop; the slot and lease
/// counts they pass to <see cref="SlotFreeWorthWaking"/> and <see cref="HandlingEndWorthWaking"/> are the loop's atomic
/// counters. A stale <see cref="WakeOn"/> can only cause an extra wake-up, never a missing one: the loop re-arms its
/// deadline on every round.</para>
/// <para><b>Saturation.</b> A claim that filled every free slot means more is due than the node can run. The next
/// claim then waits until every slot is free, or <c>SaturatedClaimWait</c> after a slot first freed (long jobs free
/// slots one by one; a free slot must not idle behind them). Every claim costs a round trip and an index scan whatever
/// its size, and with a backlog each freed slot would otherwise cost its own claim. Short runs free their slots within
/// microseconds of each other once their methods return, so waiting for all of them costs nothing there; with half the
/// slots as the threshold the loop claimed again before the runs it had just started had returned, and every claim
/// took half a batch (docs/benchmarks.md).</para>
/// <para><b>The resume cursor</b> (<see cref="ResumeAfter"/>), explained here for the whole code base; the protocol
/// side is docs/design.md#resumed-claims-under-saturation. A
/// claim from the start walks every index entry before the first claimable row: the rows leased across the fleet and
/// the dead entries each completion leaves where its row was due, which only VACUUM removes. So while every claim comes
/// back full, the next one resumes after the last row the previous one took (<see cref="ClaimRequest.After"/>, from
/// <see cref="ClaimBatch.Resume"/>): every row before it was then leased or being claimed. A row can still go back
/// behind that position (a lease that expired on a dead node, a released claim, a due time moved earlier), so the loop
/// claims from the start after any batch that was not full, and at least once per poll interval (at most
/// <see cref="MaxResumeFor"/>), which bounds that row's wait.</para>
/// </remarks>
internal sealed class ClaimPacer
{
    /// <summary>
    /// Floor for the sleep after a round that claimed nothing although something looked due, so a stale due time (a
    /// row leased or claimed elsewhere a moment ago) cannot make the loop spin.
    /// </summary>
    internal static readonly TimeSpan IdleFloor = TimeSpan.FromMilliseconds(25);

    /// <summary>
    /// Floor for the sleep until a row becomes claimable ahead. Waking a hair early (timers run on a coarse clock and
    /// may fire a few ms early; the clock estimate never leads the database) costs one more claim, not a busy loop.
    /// </summary>
    internal static readonly TimeSpan MinSleep = TimeSpan.FromMilliseconds(1);

    /// <summary>
    /// The longest the loop resumes its claims before it claims from the start again: the poll interval, the staleness
    /// an idle node accepts, but no more than this. A claim from the start costs the whole walk that resuming avoids.
    /// </summary>
    internal static readonly TimeSpan MaxResumeFor = TimeSpan.FromSeconds(5);

    private readonly int _slots;
    private readonly TimeSpan _pollInterval;
    private readonly TimeSpan _saturatedClaimWait;
    private readonly TimeSpan _claimAhead;
    private readonly double _ticksPerTimestamp;

    private bool _saturated; // the last claim filled every free slot
    private long? _freeSince; // saturated, and a slot has freed since the claim: the wait started then
    private ClaimCursor? _resume; // where the next claim may resume; null: from the start
    private long _fromStartAt; // when the loop last claimed from the start
    private int _wakeOn; // WakeOn, published for run threads

    /// <param name="slots">The node's slots (<c>MaxConcurrentJobs</c>).</param>
    /// <param name="pollInterval">The longest the loop sleeps.</param>
    /// <param name="saturatedClaimWait">How long a saturated loop waits after a slot first freed.</param>
    /// <param name="claimAhead">How long before a row's due time a claim takes it.</param>
    /// <param name="timestampFrequency">Ticks per second of the timestamps passed in (<see cref="TimeProvider.TimestampFrequency"/>).</param>
    public ClaimPacer(int slots, TimeSpan pollInterval, TimeSpan saturatedClaimWait, TimeSpan claimAhead, long timestampFrequency)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(slots);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(timestampFrequency);
        _slots = slots;
        _pollInterval = pollInterval;
        _saturatedClaimWait = saturatedClaimWait;
        _claimAhead = claimAhead;
        _ticksPerTimestamp = (double)TimeSpan.TicksPerSecond / timestampFrequency; // as TimeProvider.GetElapsedTime
    }

    /// <summary>Which run events wake the loop now. The only member read off the loop thread.</summary>
    public WakeOn WakeOn => (WakeOn)Volatile.Read(ref _wakeOn);

    /// <summary>
    /// Whether this round claims. Null: claim now. Otherwise the round does not claim and the loop sleeps at most the
    /// returned time: there is no free slot or nothing this node could claim (the poll interval), or the loop is
    /// saturated and waits for more slots to free (until <c>SaturatedClaimWait</c> after the first one freed).
    /// </summary>
    /// <param name="free">Free slots (see <see cref="NodeLoop"/>'s FreeSlots).</param>
    /// <param name="claimable">This node's jobs it is not running now.</param>
    /// <param name="held">Leases the node holds (runs whose handling has not ended).</param>
    /// <param name="now">The monotonic timestamp now.</param>
    public TimeSpan? WaitBeforeClaim(int free, int claimable, int held, long now)
    {
        if (free <= 0 || claimable <= 0) return _pollInterval;
        if (_saturated && held != 0 && free < _slots)
        {
            if (_freeSince is null)
            {
                _freeSince = now;
                Publish();
            }

            var left = _saturatedClaimWait - Elapsed(_freeSince.Value, now);
            if (left > TimeSpan.Zero) return TimeMath.Min(_pollInterval, left);
        }

        _freeSince = null;
        Publish();
        return null;
    }

    /// <summary>Where the claim about to be sent resumes (<see cref="ClaimRequest.After"/>); null: from the start.</summary>
    public ClaimCursor? ResumeAfter(long now) =>
        _resume is not null && Elapsed(_fromStartAt, now) < TimeMath.Min(_pollInterval, MaxResumeFor) ? _resume : null;

    /// <summary>Records a claim's position: a full batch may be resumed after its last row, any other is not.</summary>
    /// <param name="after">The claim's <see cref="ClaimRequest.After"/>.</param>
    /// <param name="asked">The claim's <see cref="ClaimRequest.MaxJobs"/>.</param>
    /// <param name="got">The rows it claimed.</param>
    /// <param name="lastTaken">Its <see cref="ClaimBatch.Resume"/>.</param>
    /// <param name="now">The monotonic timestamp when its answer arrived.</param>
    public void Claimed(ClaimCursor? after, int asked, int got, ClaimCursor? lastTaken, long now)
    {
        if (after is null) _fromStartAt = now;
        _resume = got >= asked ? lastTaken ?? after : null;
    }

    /// <summary>
    /// Called once a claim's runs have started: the claim saturated the node when it filled every slot that was free.
    /// </summary>
    public void RunsStarted(int got, int freeBeforeClaim)
    {
        _saturated = got >= freeBeforeClaim;
        Publish();
    }

    /// <summary>
    /// How long the loop sleeps after a claim; null: claim again at once. A full batch means more may be due now: claim
    /// again unless it took every free slot (the loop then sleeps until slots free; a round that found none would be a
    /// wake-up per claim). Otherwise the loop sleeps until it can claim the earliest due row ahead (its run then starts
    /// on the due instant), and at most the poll interval.
    /// </summary>
    /// <param name="asked">The claim's <see cref="ClaimRequest.MaxJobs"/>.</param>
    /// <param name="got">The rows it claimed.</param>
    /// <param name="freeNow">Free slots now that its runs have started.</param>
    /// <param name="earliestDueAt">The claim's <see cref="ClaimBatch.EarliestDueAt"/>.</param>
    /// <param name="claimNow">The database time the claim read (<see cref="ClaimBatch.DatabaseNow"/>).</param>
    /// <param name="clockNow">The node's estimate of the database time now (<see cref="DatabaseClock.UtcNow"/>).</param>
    public TimeSpan? SleepAfterClaim(int asked, int got, int freeNow, DateTimeOffset? earliestDueAt, DateTimeOffset claimNow, DateTimeOffset clockNow)
    {
        var delay = _pollInterval;
        if (got >= asked) return freeNow > 0 ? null : delay;
        if (earliestDueAt is not { } earliest) return delay;

        var claimableFrom = earliest - _claimAhead;
        delay = TimeMath.Min(delay, TimeMath.Max(claimableFrom - clockNow, TimeSpan.Zero));
        if (claimableFrom > claimNow && delay < MinSleep) delay = MinSleep;
        else if (got == 0 && claimableFrom <= claimNow && delay < IdleFloor) delay = IdleFloor;
        return delay;
    }

    /// <summary>
    /// Whether a run's freed slot wakes the loop: only when the loop would act on it. Saturated, it claims again once
    /// every slot is free, and the first freed slot starts the saturated wait; the loop already sleeps until that
    /// deadline, so waking it for every slot in between would be a loop round per run for nothing.
    /// </summary>
    /// <param name="wakeOn">The pacer's <see cref="WakeOn"/>.</param>
    /// <param name="freeSlots">Free slots now.</param>
    /// <param name="slots">The node's slots.</param>
    public static bool SlotFreeWorthWaking(WakeOn wakeOn, int freeSlots, int slots) => wakeOn switch
    {
        WakeOn.Always => true,
        WakeOn.FirstFreeSlot => freeSlots > 0,
        _ => freeSlots >= slots,
    };

    /// <summary>
    /// Whether the end of a run's handling (its completion written, usually long after its slot freed) wakes the loop.
    /// An unsaturated loop may sleep on a timer that does not know the job is due again at once (a retry), so it is
    /// woken. A saturated one waits for slots: the end matters to it only when it freed a slot here, or ended a lease
    /// while the lease cap was what held the loop back (one lease fewer, leases left are still no more than slots not
    /// running). Waking it for every completion of a batch whose slots were freed already would be a round per
    /// completion for nothing.
    /// </summary>
    /// <param name="wakeOn">The pacer's <see cref="WakeOn"/>.</param>
    /// <param name="slotFreedHere">The run's slot was freed by the end of its handling (its method never ran, or was abandoned).</param>
    /// <param name="slotsNotRunning">Slots not held by a running method.</param>
    /// <param name="leasesLeft">Leases the node may still take.</param>
    /// <param name="slots">The node's slots.</param>
    public static bool HandlingEndWorthWaking(WakeOn wakeOn, bool slotFreedHere, int slotsNotRunning, int leasesLeft, int slots) =>
        wakeOn == WakeOn.Always
        || ((slotFreedHere || leasesLeft <= slotsNotRunning) && SlotFreeWorthWaking(wakeOn, Math.Min(slotsNotRunning, leasesLeft), slots));

    private void Publish() =>
        Volatile.Write(ref _wakeOn, (int)(!_saturated ? WakeOn.Always : _freeSince is null ? WakeOn.FirstFreeSlot : WakeOn.AllSlotsFree));

    private TimeSpan Elapsed(long from, long to) => new((long)((to - from) * _ticksPerTimestamp));
}
