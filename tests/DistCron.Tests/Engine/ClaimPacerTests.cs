using DistCron.Engine;
using DistCron.Storage;

namespace DistCron.Tests.Engine;

/// <summary>
/// The claim pacing rules of docs/design.md ("Find and claim": slots, batching under saturation, resumed claims, claim
/// ahead, wake-ups), one test per rule, on a fake monotonic clock: timestamps are ticks (frequency 10^7 a second).
/// </summary>
public class ClaimPacerTests
{
    private const int Slots = 4;
    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan SaturatedWait = TimeSpan.FromMilliseconds(25);
    private static readonly TimeSpan Ahead = TimeSpan.FromMilliseconds(100);
    private static readonly DateTimeOffset DbNow = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly ClaimCursor First = new(DbNow.AddSeconds(-10), "a");
    private static readonly ClaimCursor Second = new(DbNow.AddSeconds(-9), "b");

    private long _now = TimeSpan.FromHours(1).Ticks; // any monotonic start

    private static ClaimPacer NewPacer(TimeSpan? poll = null, TimeSpan? saturatedWait = null) =>
        new(Slots, poll ?? Poll, saturatedWait ?? SaturatedWait, Ahead, TimeSpan.TicksPerSecond);

    private void Advance(TimeSpan by) => _now += by.Ticks;

    // A saturating claim: every free slot (all of them) filled, its runs started.
    private void Saturate(ClaimPacer pacer)
    {
        Assert.Null(pacer.WaitBeforeClaim(free: Slots, claimable: 10, held: 0, _now));
        pacer.Claimed(after: null, asked: Slots, got: Slots, lastTaken: First, _now);
        pacer.RunsStarted(got: Slots, freeBeforeClaim: Slots);
    }

    // --- Slots -------------------------------------------------------------------------------------------------------

    [Theory]
    [InlineData(0, 5)]
    [InlineData(-1, 5)] // leases capped below the running slots
    [InlineData(2, 0)]
    public void Without_a_free_slot_or_a_claimable_job_no_claim_is_sent_and_the_loop_sleeps_a_poll_interval(int free, int claimable)
    {
        var pacer = NewPacer();
        Assert.Equal(Poll, pacer.WaitBeforeClaim(free, claimable, held: Slots, _now));
    }

    [Fact]
    public void An_unsaturated_loop_claims_into_any_free_slot_at_once()
    {
        var pacer = NewPacer();
        Assert.Null(pacer.WaitBeforeClaim(free: 1, claimable: 1, held: 3, _now));
        pacer.Claimed(null, asked: 1, got: 0, lastTaken: null, _now);
        pacer.RunsStarted(got: 0, freeBeforeClaim: 1);
        Assert.Null(pacer.WaitBeforeClaim(free: 1, claimable: 1, held: 3, _now));
    }

    // --- Batching under saturation -----------------------------------------------------------------------------------

    [Fact]
    public void A_claim_that_filled_every_free_slot_makes_the_next_wait_for_more_slots()
    {
        var pacer = NewPacer();
        Assert.Null(pacer.WaitBeforeClaim(free: 2, claimable: 10, held: 2, _now));
        pacer.Claimed(null, asked: 2, got: 2, lastTaken: First, _now);
        pacer.RunsStarted(got: 2, freeBeforeClaim: 2); // filled the 2 free slots of 4: saturated

        Assert.Equal(SaturatedWait, pacer.WaitBeforeClaim(free: 1, claimable: 10, held: 3, _now));
    }

    [Fact]
    public void A_saturated_loop_claims_once_every_slot_is_free()
    {
        var pacer = NewPacer();
        Saturate(pacer);
        Assert.NotNull(pacer.WaitBeforeClaim(free: Slots - 1, claimable: 10, held: Slots, _now));
        Assert.Null(pacer.WaitBeforeClaim(free: Slots, claimable: 10, held: Slots, _now));
    }

    [Fact]
    public void A_saturated_loop_claims_25_ms_after_the_first_slot_freed_when_the_others_stay_busy()
    {
        var pacer = NewPacer();
        Saturate(pacer);
        Advance(TimeSpan.FromSeconds(1)); // long runs: no slot frees for a while, and that time does not count

        Assert.Equal(SaturatedWait, pacer.WaitBeforeClaim(free: 1, claimable: 10, held: Slots, _now)); // the wait starts
        Advance(TimeSpan.FromMilliseconds(10));
        Assert.Equal(TimeSpan.FromMilliseconds(15), pacer.WaitBeforeClaim(free: 2, claimable: 10, held: Slots, _now));
        Advance(TimeSpan.FromMilliseconds(14));
        Assert.Equal(TimeSpan.FromMilliseconds(1), pacer.WaitBeforeClaim(free: 2, claimable: 10, held: Slots, _now));
        Advance(TimeSpan.FromMilliseconds(1));
        Assert.Null(pacer.WaitBeforeClaim(free: 2, claimable: 10, held: Slots, _now));
    }

    [Fact]
    public void A_round_without_a_free_slot_does_not_start_the_saturated_wait()
    {
        var pacer = NewPacer();
        Saturate(pacer);
        Assert.Equal(Poll, pacer.WaitBeforeClaim(free: 0, claimable: 10, held: Slots, _now));
        Assert.Equal(WakeOn.FirstFreeSlot, pacer.WakeOn);
        Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(SaturatedWait, pacer.WaitBeforeClaim(free: 1, claimable: 10, held: Slots, _now));
    }

    [Fact]
    public void A_saturated_loop_claims_at_once_when_it_holds_no_lease()
    {
        var pacer = NewPacer();
        Saturate(pacer);
        Assert.Null(pacer.WaitBeforeClaim(free: 1, claimable: 10, held: 0, _now));
    }

    [Fact]
    public void The_saturated_wait_never_exceeds_the_poll_interval()
    {
        var pacer = NewPacer(saturatedWait: TimeSpan.FromMinutes(10));
        Saturate(pacer);
        Assert.Equal(Poll, pacer.WaitBeforeClaim(free: 1, claimable: 10, held: Slots, _now));
    }

    [Fact]
    public void Each_claim_restarts_the_saturated_wait_from_the_next_freed_slot()
    {
        var pacer = NewPacer();
        Saturate(pacer);
        Assert.NotNull(pacer.WaitBeforeClaim(free: 1, claimable: 10, held: Slots, _now));
        Advance(SaturatedWait);
        Assert.Null(pacer.WaitBeforeClaim(free: 1, claimable: 10, held: Slots, _now)); // claims into the one free slot
        pacer.Claimed(First, asked: 1, got: 1, lastTaken: Second, _now);
        pacer.RunsStarted(got: 1, freeBeforeClaim: 1); // still saturated

        Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(SaturatedWait, pacer.WaitBeforeClaim(free: 1, claimable: 10, held: Slots, _now));
    }

    [Fact]
    public void A_claim_that_left_free_slots_ends_saturation()
    {
        var pacer = NewPacer();
        Saturate(pacer);
        Assert.Null(pacer.WaitBeforeClaim(free: Slots, claimable: 10, held: 0, _now));
        pacer.Claimed(null, asked: Slots, got: 1, lastTaken: First, _now);
        pacer.RunsStarted(got: 1, freeBeforeClaim: Slots);
        Assert.Null(pacer.WaitBeforeClaim(free: Slots - 1, claimable: 10, held: 1, _now));
    }

    // --- Resumed claims ----------------------------------------------------------------------------------------------

    [Fact]
    public void The_first_claim_starts_from_the_beginning()
    {
        Assert.Null(NewPacer().ResumeAfter(_now));
    }

    [Fact]
    public void While_batches_come_back_full_each_claim_resumes_after_the_last_row_the_previous_took()
    {
        var pacer = NewPacer();
        pacer.Claimed(after: null, asked: 4, got: 4, lastTaken: First, _now);
        Assert.Equal(First, pacer.ResumeAfter(_now));
        pacer.Claimed(after: First, asked: 4, got: 4, lastTaken: Second, _now);
        Assert.Equal(Second, pacer.ResumeAfter(_now));
    }

    [Fact]
    public void A_full_batch_without_a_position_keeps_the_one_it_resumed_from()
    {
        // Full of manual triggers, or from a store that ignores positions: nothing moved the position.
        var pacer = NewPacer();
        pacer.Claimed(after: null, asked: 4, got: 4, lastTaken: First, _now);
        pacer.Claimed(after: First, asked: 4, got: 4, lastTaken: null, _now);
        Assert.Equal(First, pacer.ResumeAfter(_now));
    }

    [Fact]
    public void A_full_batch_from_the_start_without_a_position_leaves_the_next_claim_at_the_start()
    {
        var pacer = NewPacer();
        pacer.Claimed(after: null, asked: 4, got: 4, lastTaken: null, _now);
        Assert.Null(pacer.ResumeAfter(_now));
    }

    [Fact]
    public void After_a_batch_that_was_not_full_the_next_claim_starts_from_the_beginning()
    {
        var pacer = NewPacer();
        pacer.Claimed(after: null, asked: 4, got: 4, lastTaken: First, _now);
        pacer.Claimed(after: First, asked: 4, got: 3, lastTaken: Second, _now);
        Assert.Null(pacer.ResumeAfter(_now));
    }

    [Fact]
    public void Resumed_claims_give_way_to_one_from_the_start_once_a_poll_interval_passed_since_the_last()
    {
        var pacer = NewPacer();
        pacer.Claimed(after: null, asked: 4, got: 4, lastTaken: First, _now);
        Advance(Poll - TimeSpan.FromTicks(1));
        Assert.Equal(First, pacer.ResumeAfter(_now));
        pacer.Claimed(after: First, asked: 4, got: 4, lastTaken: Second, _now); // a resumed claim does not restart the interval
        Advance(TimeSpan.FromTicks(1));
        Assert.Null(pacer.ResumeAfter(_now));

        pacer.Claimed(after: null, asked: 4, got: 4, lastTaken: First, _now); // the claim from the start restarts it
        Advance(Poll - TimeSpan.FromTicks(1));
        Assert.Equal(First, pacer.ResumeAfter(_now));
    }

    [Fact]
    public void Resumed_claims_last_at_most_5_seconds_whatever_the_poll_interval()
    {
        var pacer = NewPacer(poll: TimeSpan.FromSeconds(30));
        pacer.Claimed(after: null, asked: 4, got: 4, lastTaken: First, _now);
        Advance(TimeSpan.FromSeconds(5) - TimeSpan.FromTicks(1));
        Assert.Equal(First, pacer.ResumeAfter(_now));
        Advance(TimeSpan.FromTicks(1));
        Assert.Null(pacer.ResumeAfter(_now));
        Assert.Equal(TimeSpan.FromSeconds(5), ClaimPacer.MaxResumeFor);
    }

    // --- The sleep after a claim, and claim ahead --------------------------------------------------------------------

    [Fact]
    public void A_full_batch_with_slots_still_free_claims_again_at_once()
    {
        Assert.Null(NewPacer().SleepAfterClaim(asked: 2, got: 2, freeNow: 1, earliestDueAt: DbNow, claimNow: DbNow, clockNow: DbNow));
    }

    [Fact]
    public void A_full_batch_that_took_every_free_slot_sleeps_until_slots_free_or_a_poll_interval()
    {
        Assert.Equal(Poll, NewPacer().SleepAfterClaim(asked: 4, got: 4, freeNow: 0, earliestDueAt: DbNow, claimNow: DbNow, clockNow: DbNow));
    }

    [Fact]
    public void The_loop_sleeps_until_claim_ahead_before_the_earliest_due_time()
    {
        var earliest = DbNow.AddMilliseconds(700);
        var clockNow = DbNow.AddMilliseconds(3); // the estimate moved on since the claim read the database's now
        Assert.Equal(TimeSpan.FromMilliseconds(700 - 100 - 3),
            NewPacer().SleepAfterClaim(asked: 4, got: 1, freeNow: 3, earliest, claimNow: DbNow, clockNow));
    }

    [Fact]
    public void The_sleep_until_the_earliest_due_time_is_at_most_a_poll_interval()
    {
        Assert.Equal(Poll, NewPacer().SleepAfterClaim(asked: 4, got: 0, freeNow: 4, DbNow.AddMinutes(1), claimNow: DbNow, clockNow: DbNow));
    }

    [Fact]
    public void Without_any_scheduled_job_the_loop_sleeps_a_poll_interval()
    {
        Assert.Equal(Poll, NewPacer().SleepAfterClaim(asked: 4, got: 0, freeNow: 4, earliestDueAt: null, claimNow: DbNow, clockNow: DbNow));
    }

    [Fact]
    public void A_row_not_yet_claimable_is_slept_for_at_least_a_millisecond()
    {
        // The estimate already reached the instant (or a coarse timer fired early), but the claim saw the row ahead of
        // its window: one more claim, not a busy loop.
        var earliest = DbNow + Ahead + TimeSpan.FromTicks(1);
        Assert.Equal(ClaimPacer.MinSleep,
            NewPacer().SleepAfterClaim(asked: 4, got: 0, freeNow: 4, earliest, claimNow: DbNow, clockNow: DbNow.AddMilliseconds(1)));
        Assert.Equal(TimeSpan.FromMilliseconds(1), ClaimPacer.MinSleep);
    }

    [Fact]
    public void A_claim_that_took_nothing_although_a_row_looked_due_sleeps_at_least_25_ms()
    {
        // The due time is stale: the row was leased or claimed elsewhere a moment ago.
        Assert.Equal(ClaimPacer.IdleFloor,
            NewPacer().SleepAfterClaim(asked: 4, got: 0, freeNow: 4, earliestDueAt: DbNow.AddSeconds(-1), claimNow: DbNow, clockNow: DbNow));
        Assert.Equal(TimeSpan.FromMilliseconds(25), ClaimPacer.IdleFloor);
    }

    [Fact]
    public void A_claim_that_took_rows_while_more_look_due_does_not_sleep()
    {
        Assert.Equal(TimeSpan.Zero,
            NewPacer().SleepAfterClaim(asked: 4, got: 2, freeNow: 2, earliestDueAt: DbNow, claimNow: DbNow, clockNow: DbNow));
    }

    // --- Wake-ups ----------------------------------------------------------------------------------------------------

    [Fact]
    public void Wake_ups_follow_saturation_and_its_wait()
    {
        var pacer = NewPacer();
        Assert.Equal(WakeOn.Always, pacer.WakeOn);
        Saturate(pacer);
        Assert.Equal(WakeOn.FirstFreeSlot, pacer.WakeOn);
        Assert.NotNull(pacer.WaitBeforeClaim(free: 1, claimable: 10, held: Slots, _now));
        Assert.Equal(WakeOn.AllSlotsFree, pacer.WakeOn);
        Advance(SaturatedWait);
        Assert.Null(pacer.WaitBeforeClaim(free: 1, claimable: 10, held: Slots, _now));
        Assert.Equal(WakeOn.FirstFreeSlot, pacer.WakeOn); // still saturated until the claim's runs have started
        pacer.Claimed(null, asked: 1, got: 0, lastTaken: null, _now);
        pacer.RunsStarted(got: 0, freeBeforeClaim: 1);
        Assert.Equal(WakeOn.Always, pacer.WakeOn);
    }

    [Theory]
    [InlineData((int)WakeOn.Always, 0, true)]
    [InlineData((int)WakeOn.Always, 1, true)]
    [InlineData((int)WakeOn.FirstFreeSlot, 0, false)]
    [InlineData((int)WakeOn.FirstFreeSlot, 1, true)]
    [InlineData((int)WakeOn.AllSlotsFree, 1, false)]
    [InlineData((int)WakeOn.AllSlotsFree, Slots - 1, false)]
    [InlineData((int)WakeOn.AllSlotsFree, Slots, true)]
    public void A_freed_slot_wakes_the_loop_only_when_the_loop_would_claim(int wakeOn, int freeSlots, bool wakes)
    {
        Assert.Equal(wakes, ClaimPacer.SlotFreeWorthWaking((WakeOn)wakeOn, freeSlots, Slots));
    }

    [Theory]
    // Unsaturated: always (the job may be due again at once, a retry, and the loop's timer does not know it).
    [InlineData((int)WakeOn.Always, false, 0, 10, true)]
    // Saturated: a handling end that freed no slot, while slots bind, is nothing to wake for.
    [InlineData((int)WakeOn.FirstFreeSlot, false, 1, 10, false)]
    [InlineData((int)WakeOn.AllSlotsFree, false, Slots, 10, false)]
    // ...unless it freed the slot here (the method never ran, or was abandoned).
    [InlineData((int)WakeOn.FirstFreeSlot, true, 1, 10, true)]
    [InlineData((int)WakeOn.FirstFreeSlot, true, 0, 10, false)]
    [InlineData((int)WakeOn.AllSlotsFree, true, Slots - 1, 10, false)]
    [InlineData((int)WakeOn.AllSlotsFree, true, Slots, 10, true)]
    // ...or the lease cap held the loop back, and ending a lease freed a slot by it.
    [InlineData((int)WakeOn.FirstFreeSlot, false, Slots, 1, true)]
    [InlineData((int)WakeOn.FirstFreeSlot, false, Slots, 0, false)]
    [InlineData((int)WakeOn.AllSlotsFree, false, Slots, Slots, true)]
    [InlineData((int)WakeOn.AllSlotsFree, false, Slots, Slots - 1, false)]
    public void The_end_of_a_runs_handling_wakes_a_saturated_loop_only_for_a_slot_it_freed(
        int wakeOn, bool slotFreedHere, int slotsNotRunning, int leasesLeft, bool wakes)
    {
        Assert.Equal(wakes, ClaimPacer.HandlingEndWorthWaking((WakeOn)wakeOn, slotFreedHere, slotsNotRunning, leasesLeft, Slots));
    }

    [Fact]
    public void Timestamps_of_any_frequency_are_read_as_the_time_provider_reads_them()
    {
        var pacer = new ClaimPacer(Slots, Poll, SaturatedWait, Ahead, timestampFrequency: 1_000); // a millisecond clock
        Assert.Null(pacer.WaitBeforeClaim(free: Slots, claimable: 10, held: 0, now: 0));
        pacer.Claimed(null, Slots, Slots, First, now: 0);
        pacer.RunsStarted(Slots, Slots);
        Assert.Equal(SaturatedWait, pacer.WaitBeforeClaim(free: 1, claimable: 10, held: Slots, now: 5_000));
        Assert.Equal(TimeSpan.FromMilliseconds(5), pacer.WaitBeforeClaim(free: 1, claimable: 10, held: Slots, now: 5_020));
        Assert.Equal(First, pacer.ResumeAfter(now: 1_999));
        Assert.Null(pacer.ResumeAfter(now: 2_000));
    }

    [Fact]
    public void Settings_that_cannot_pace_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ClaimPacer(0, Poll, SaturatedWait, Ahead, TimeSpan.TicksPerSecond));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ClaimPacer(Slots, Poll, SaturatedWait, Ahead, 0));
    }
}
