using DistCron.Fleet;

namespace DistCron.Tests.MultiProcess;

/// <summary>
/// The audit that judges the multi-process and chaos runs must itself be able to fail: each rule is shown catching
/// the fault it exists for, on a hand-written history, and accepting the legitimate case next to it.
/// </summary>
public sealed class FleetAuditTests
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 10, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(4);
    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Threshold = TimeSpan.FromSeconds(2);

    [Fact]
    public void A_clean_history_passes_with_every_slot_run()
    {
        var history = new History().RunEverySecond(0, 9);

        var report = history.Evaluate();

        Assert.True(report.Passed, report.Describe());
        Assert.Equal(10, report.Slots);
        Assert.Equal(10, report.SlotsRan);
        Assert.Equal(0, report.DuplicatesStarted);
    }

    [Fact]
    public void A_slot_with_no_run_and_no_misfire_excuse_is_lost()
    {
        var history = new History().RunEverySecond(0, 3).RunEverySecond(5, 9);

        var report = history.Evaluate();

        Assert.Equal(1, report.Lost);
        Assert.Contains(report.Violations, v => v.StartsWith("LOST: j", StringComparison.Ordinal) && v.Contains("10:00:04"));
    }

    [Fact]
    public void Slots_collapsed_into_a_catch_up_that_was_still_running_are_coalesced_not_lost()
    {
        // Occurrence 3 is run late (a misfire): its completion at 10:00:07.2 resumes at 8, collapsing 4..7.
        var history = new History().RunEverySecond(0, 2)
            .Run(3, "a", startedAt: 6.5, finishedAt: 7.2)
            .RunEverySecond(8, 9);

        var report = history.Evaluate();

        Assert.True(report.Passed, report.Describe());
        Assert.Equal(4, report.SlotsCoalesced);
    }

    [Fact]
    public void A_slot_skipped_just_after_a_catch_up_completed_is_lost()
    {
        // Completed at 7.8 by the database clock; 8 had not come yet, so nothing may have collapsed it.
        var history = new History().RunEverySecond(0, 2)
            .Run(3, "a", startedAt: 6.5, finishedAt: 7.8)
            .RunEverySecond(9, 9);

        var report = history.Evaluate();

        Assert.False(report.Passed);
        Assert.Equal(4, report.SlotsCoalesced);
        Assert.Equal(1, report.Lost);
    }

    [Fact]
    public void A_killed_nodes_run_taken_over_after_its_lease_is_an_allowed_duplicate_start()
    {
        var history = new History().RunEverySecond(0, 2)
            .Start(3, "a", startedAt: 3.05) // killed mid-run: no completion
            .Killed("a", 3.2)
            .Run(3, "b", startedAt: 7.6, finishedAt: 7.9)
            .RunEverySecond(8, 9, node: "b");

        var report = history.Evaluate();

        Assert.True(report.Passed, report.Describe());
        Assert.Equal(1, report.DuplicatesStarted);
        Assert.Equal(1, report.DuplicatesAfterKill);
    }

    [Fact]
    public void The_same_duplicate_start_without_a_kill_freeze_or_outage_is_a_violation()
    {
        var history = new History().RunEverySecond(0, 2)
            .Start(3, "a", startedAt: 3.05)
            .Run(3, "b", startedAt: 7.6, finishedAt: 7.9)
            .RunEverySecond(8, 9, node: "b");

        var report = history.Evaluate();

        Assert.Contains(report.Violations, v => v.StartsWith("DUPLICATE START WITHOUT CAUSE", StringComparison.Ordinal));
    }

    [Fact]
    public void A_killed_run_that_nobody_ran_again_is_unfinished()
    {
        var history = new History().RunEverySecond(0, 2)
            .Start(3, "a", startedAt: 3.05)
            .Killed("a", 3.2)
            .RunEverySecond(4, 9, node: "b");

        var report = history.Evaluate();

        Assert.Contains(report.Violations, v => v.StartsWith("UNFINISHED: j @ 10:00:03", StringComparison.Ordinal));
    }

    [Fact]
    public void A_frozen_zombie_completing_after_another_node_took_over_is_a_stale_completion()
    {
        var history = new History().RunEverySecond(0, 2)
            .Run(3, "zombie", startedAt: 3.05, finishedAt: 9.5) // woke up at 9.4 and its completion was accepted
            .Frozen("zombie", 3.1, 9.4)
            .Run(3, "b", startedAt: 7.6, finishedAt: 7.9)
            .RunEverySecond(8, 9, node: "b");

        var report = history.Evaluate();

        Assert.Contains(report.Violations, v => v.StartsWith("STALE COMPLETION: j fence 4 on zombie", StringComparison.Ordinal));
        Assert.Contains(report.Violations, v => v.StartsWith("COMPLETED TWICE: j @ 10:00:03", StringComparison.Ordinal));
        Assert.Equal(1, report.DuplicatesCompleted);
    }

    [Fact]
    public void A_frozen_zombie_whose_completion_was_rejected_is_an_allowed_duplicate_start()
    {
        var history = new History().RunEverySecond(0, 2)
            .Start(3, "zombie", startedAt: 3.05)
            .Frozen("zombie", 3.1, 9.4)
            .Run(3, "b", startedAt: 7.6, finishedAt: 7.9)
            .RunEverySecond(8, 9, node: "b");

        var report = history.Evaluate();

        Assert.True(report.Passed, report.Describe());
        Assert.Equal(1, report.DuplicatesAfterFreeze);
    }

    [Fact]
    public void A_node_frozen_between_its_claim_and_its_body_is_excused_however_late_after_the_thaw_it_records_its_start()
    {
        // Claimed just before 3 s, frozen from 2.95 to 8.5, its body recorded itself 1.4 s after the thaw.
        var history = new History().RunEverySecond(0, 2)
            .Start(3, "zombie", startedAt: 9.9)
            .Frozen("zombie", 2.95, 8.5)
            .Run(3, "b", startedAt: 7.6, finishedAt: 7.9)
            .RunEverySecond(8, 9, node: "b");

        var report = history.Evaluate();

        Assert.True(report.Passed, report.Describe());
        Assert.Equal(1, report.DuplicatesAfterFreeze);
    }

    [Fact]
    public void A_node_that_reported_a_long_stall_is_excused_like_a_frozen_one()
    {
        var history = new History().RunEverySecond(0, 2)
            .Start(3, "a", startedAt: 3.05)
            .Stalled("a", 4.0, 6.5)
            .Run(3, "b", startedAt: 7.6, finishedAt: 7.9)
            .RunEverySecond(8, 9, node: "b");

        var report = history.Evaluate();

        Assert.True(report.Passed, report.Describe());
        Assert.Equal(1, report.DuplicatesAfterStall);
        Assert.Equal(1, report.Stalls);
    }

    [Fact]
    public void A_stall_too_short_to_cost_a_lease_does_not_excuse_a_takeover()
    {
        var history = new History().RunEverySecond(0, 2)
            .Start(3, "a", startedAt: 3.05)
            .Stalled("a", 4.0, 4.6)
            .Stalled("b", 3.0, 7.0) // another node's stall says nothing about a's lease
            .Run(3, "b", startedAt: 7.6, finishedAt: 7.9)
            .RunEverySecond(8, 9, node: "b");

        var report = history.Evaluate();

        Assert.Contains(report.Violations, v => v.StartsWith("DUPLICATE START WITHOUT CAUSE", StringComparison.Ordinal));
        Assert.Equal(0, report.DuplicatesAfterStall);
    }

    [Fact]
    public void A_run_that_starts_before_its_occurrence_is_due_is_early()
    {
        // A node that believed its own clock, ten minutes fast, would start occurrences before the database says so.
        var history = new History().RunEverySecond(0, 4).Run(5, "fast-clock", startedAt: 4.6, finishedAt: 4.9).RunEverySecond(6, 9);

        var report = history.Evaluate();

        Assert.Contains(report.Violations, v => v.StartsWith("EARLY RUN: j @ 10:00:05.000 started at 10:00:04.600 on fast-clock", StringComparison.Ordinal));
    }

    [Fact]
    public void A_completion_whose_body_never_started_is_a_phantom()
    {
        var history = new History().RunEverySecond(0, 9).CompletionOnly(4, "a", fence: 999, finishedAt: 4.3);

        var report = history.Evaluate();

        Assert.Contains(report.Violations, v => v.StartsWith("PHANTOM COMPLETION: j @ 10:00:04.000 fence 999", StringComparison.Ordinal));
    }

    [Fact]
    public void Running_every_slot_missed_during_a_database_outage_breaks_the_run_once_misfire_policy()
    {
        // Down 10:00:02..10:00:09; RunOnce allows one catch-up for 3..5 (due more than threshold + 1 s before the end).
        var history = new History().RunEverySecond(0, 1)
            .Outage(2.0, 9.0)
            .Run(3, "a", startedAt: 9.1, finishedAt: 9.2)
            .Run(4, "a", startedAt: 9.3, finishedAt: 9.4)
            .Run(5, "a", startedAt: 9.5, finishedAt: 9.6);
        var collapsed = new History().RunEverySecond(0, 1)
            .Outage(2.0, 9.0)
            .Run(2, "a", startedAt: 9.1, finishedAt: 9.4)
            .RunEverySecond(10, 12);

        var report = history.Evaluate(windowEnd: 12);
        var collapsedReport = collapsed.Evaluate(windowEnd: 12);

        Assert.Contains(report.Violations, v => v.StartsWith("MISFIRE POLICY: j ran 3 occurrences", StringComparison.Ordinal));
        Assert.True(collapsedReport.Passed, collapsedReport.Describe());
        Assert.Equal(7, collapsedReport.SlotsCoalesced);
    }

    [Fact]
    public void After_a_switch_settles_a_run_at_an_old_schedule_time_is_an_old_schedule_run()
    {
        // Release 2 (every 2 s) seeded during 4.5..4.6; the claims up to fence 5 (occurrences 0..4) ended by 4.3, so the
        // switch settled at 4.6. Occurrence 5 is an old-schedule (every second) time: a completion under the old
        // definition wrote the old next due time over the new schedule.
        var defect = new History().RunEverySecond(0, 4).Switch(period: 2, from: 4.5, seenAt: 4.6, fence: 5)
            .Run(5, "a", startedAt: 5.05, finishedAt: 5.3).RunEvery(6, 8, step: 2);
        var correct = new History().RunEverySecond(0, 4).Switch(period: 2, from: 4.5, seenAt: 4.6, fence: 5)
            .RunEvery(6, 8, step: 2);

        var report = defect.Evaluate(windowEnd: 8);
        var correctReport = correct.Evaluate(windowEnd: 8);

        Assert.Equal(1, report.OldScheduleRuns);
        Assert.Contains(report.Violations, v => v.StartsWith("OLD-SCHEDULE RUN: j @ 10:00:05.000", StringComparison.Ordinal));
        Assert.True(correctReport.Passed, correctReport.Describe());
        Assert.Equal(1, correctReport.Deploys);
        Assert.Equal(5 + 2, correctReport.Slots); // 0..4 every second, then 6 and 8
    }

    [Fact]
    public void After_a_switch_between_schedules_on_disjoint_seconds_a_run_at_an_old_second_is_an_old_schedule_run()
    {
        // The chaos tool's later releases alternate even and odd seconds, so every old-schedule run is visible. From
        // even seconds (0, 2, 4) to odd ones, settled at 4.6: a run at 6 is the old schedule's, 5 and 7 are the new one's.
        var defect = new History().RunEvery(0, 4, step: 2).Switch(period: 2, from: 4.5, seenAt: 4.6, fence: 3, initialPeriod: 2, offset: 1)
            .RunEvery(5, 5, step: 2).Run(6, "a", startedAt: 6.05, finishedAt: 6.3).RunEvery(7, 9, step: 2);
        var correct = new History().RunEvery(0, 4, step: 2).Switch(period: 2, from: 4.5, seenAt: 4.6, fence: 3, initialPeriod: 2, offset: 1)
            .RunEvery(5, 9, step: 2);

        var report = defect.Evaluate(windowEnd: 9);
        var correctReport = correct.Evaluate(windowEnd: 9);

        Assert.Equal(1, report.OldScheduleRuns);
        Assert.Contains(report.Violations, v => v.StartsWith("OLD-SCHEDULE RUN: j @ 10:00:06.000", StringComparison.Ordinal));
        Assert.True(correctReport.Passed, correctReport.Describe());
        Assert.Equal(3 + 3, correctReport.Slots); // 0, 2, 4, then 5, 7, 9
    }

    [Fact]
    public void An_occurrence_of_the_new_schedule_due_between_the_seeds_clock_read_and_its_commit_is_not_an_old_schedule_run()
    {
        // Odd seconds (1, 3), then even ones. The seed read the database clock at 3.9, under its locks, and committed
        // in 4.05..4.1: the new schedule's first occurrence is 4, due before the commit, run at 4.05.
        var history = new History().RunEvery(1, 3, step: 2)
            .Switch(period: 2, from: 4.05, seenAt: 4.1, fence: 2, initialPeriod: 2, offset: 0, initialOffset: 1)
            .RunEvery(4, 8, step: 2);

        var report = history.Evaluate(windowEnd: 8);

        Assert.Equal(0, report.OldScheduleRuns);
        Assert.DoesNotContain(report.Violations, v => v.StartsWith("OLD-SCHEDULE", StringComparison.Ordinal));
    }

    [Fact]
    public void A_switch_settles_only_when_the_runs_claimed_before_it_have_ended()
    {
        // The run of occurrence 4 (fence 5, claimed before the seed) ends at 5.4: until then either schedule may run,
        // so occurrence 5 (old schedule, e.g. claimed by the old definition just before the seed) is no violation.
        var history = new History().RunEverySecond(0, 3).Run(4, "a", startedAt: 4.05, finishedAt: 5.4)
            .Switch(period: 2, from: 4.5, seenAt: 4.6, fence: 5)
            .Run(5, "b", startedAt: 5.45, finishedAt: 5.7).RunEvery(6, 8, step: 2);

        var report = history.Evaluate(windowEnd: 8);

        Assert.True(report.Passed, report.Describe());
        Assert.Equal(1, report.SlotsUnsettled); // the second 5, inside 4.5..5.4
    }

    [Fact]
    public void After_a_switch_settles_an_occurrence_of_the_new_schedule_with_no_run_is_lost()
    {
        // Every 2 s -> every second, seeded during 4.1..4.15. The run of 4 (claimed before) completed at 4.3 and wrote
        // the old schedule's next time (6): occurrence 5 of the current definition was silenced.
        var defect = new History().RunEvery(0, 4, step: 2).Switch(period: 1, from: 4.1, seenAt: 4.15, fence: 3, initialPeriod: 2)
            .RunEverySecond(6, 9);
        var correct = new History().RunEvery(0, 4, step: 2).Switch(period: 1, from: 4.1, seenAt: 4.15, fence: 3, initialPeriod: 2)
            .RunEverySecond(5, 9);

        var report = defect.Evaluate();
        var correctReport = correct.Evaluate();

        Assert.Equal(1, report.Lost);
        Assert.Contains(report.Violations, v => v.StartsWith("LOST: j has no run and no misfire excuse for 10:00:05.000", StringComparison.Ordinal));
        Assert.True(correctReport.Passed, correctReport.Describe());
    }

    [Fact]
    public void Old_schedule_slots_still_unclaimed_when_the_seed_replaced_the_due_time_are_dropped_not_lost()
    {
        // No node claimed 5 and 6 (late: the fleet was restarting) before the seed of 6.5..6.6 replaced the due time
        // with the new schedule's (8). A gap followed by a run before the switch is still a loss.
        var dropped = new History().RunEverySecond(0, 4).Switch(period: 2, from: 6.5, seenAt: 6.6, fence: 5).RunEvery(8, 8, step: 2);
        var gap = new History().RunEverySecond(0, 3).RunEverySecond(5, 5).Switch(period: 2, from: 6.5, seenAt: 6.6, fence: 5).RunEvery(8, 8, step: 2);

        var droppedReport = dropped.Evaluate(windowEnd: 8);
        var gapReport = gap.Evaluate(windowEnd: 8);

        Assert.True(droppedReport.Passed, droppedReport.Describe());
        Assert.Equal(2, droppedReport.SlotsUnsettled);
        Assert.Contains(gapReport.Violations, v => v.StartsWith("LOST: j has no run and no misfire excuse for 10:00:04.000", StringComparison.Ordinal));
    }

    [Fact]
    public void An_occurrence_is_judged_unfinished_by_its_last_claim_not_by_one_that_was_taken_over()
    {
        // Occurrence 3: a is killed, b takes it over and is killed too, and the seed of 12..12.1 replaces the due time
        // before b's claim could be taken over. Dropping it is legitimate; a's claim was taken over (by b), which says
        // nothing about whether the occurrence still had to run when the seed came.
        var dropped = new History().RunEverySecond(0, 2)
            .Start(3, "a", startedAt: 3.05).Killed("a", 3.2)
            .Start(3, "b", startedAt: 7.6).Killed("b", 11.0)
            .Switch(period: 2, from: 12.0, seenAt: 12.1, fence: 5);
        var unfinished = new History().RunEverySecond(0, 2)
            .Start(3, "a", startedAt: 3.05).Killed("a", 3.2)
            .Start(3, "b", startedAt: 7.6).Killed("b", 11.0)
            .RunEvery(20, 22, step: 1, node: "c");

        var droppedReport = dropped.Evaluate(windowEnd: 16);
        var unfinishedReport = unfinished.Evaluate(windowEnd: 22);

        Assert.DoesNotContain(droppedReport.Violations, v => v.StartsWith("UNFINISHED", StringComparison.Ordinal));
        Assert.Contains(unfinishedReport.Violations, v => v.StartsWith("UNFINISHED: j @ 10:00:03.000 started (fence 4 on a, fence 5 on b)", StringComparison.Ordinal));
    }

    [Fact]
    public void A_claim_frozen_before_its_body_recorded_itself_and_replaced_by_a_seed_meanwhile_is_dropped_not_unfinished()
    {
        // Claimed just before 3, frozen from 3.02 to 9.0 before the body recorded itself (at 9.3, after the thaw); the
        // seed of 4.5..4.6 replaced the occurrence while the frozen claim held it. Without the seed it must run again.
        var dropped = new History().RunEverySecond(0, 2)
            .Start(3, "a", startedAt: 9.3).Frozen("a", 3.02, 9.0)
            .Switch(period: 2, from: 4.5, seenAt: 4.6, fence: 4);
        var unfinished = new History().RunEverySecond(0, 2)
            .Start(3, "a", startedAt: 9.3).Frozen("a", 3.02, 9.0)
            .RunEvery(20, 22, step: 1, node: "c");

        var droppedReport = dropped.Evaluate(windowEnd: 16);
        var unfinishedReport = unfinished.Evaluate(windowEnd: 22);

        Assert.DoesNotContain(droppedReport.Violations, v => v.StartsWith("UNFINISHED", StringComparison.Ordinal));
        Assert.Contains(unfinishedReport.Violations, v => v.StartsWith("UNFINISHED: j @ 10:00:03.000", StringComparison.Ordinal));
    }

    [Fact]
    public void Occurrences_still_unclaimed_when_a_pause_came_are_dropped_by_its_resume_not_lost()
    {
        // 5 and 6 were due but unclaimed (the fleet recovering) when the pause came at 6.5; the resume at 8.5 restarts
        // at 9. A run of 6 would have shown 5 lost.
        var dropped = new History().RunEverySecond(0, 4).Pause(6.5).Resume(8.5).RunEverySecond(9, 9);
        var gap = new History().RunEverySecond(0, 4).Run(6, "a", startedAt: 6.05, finishedAt: 6.3).Pause(6.5).Resume(8.5).RunEverySecond(9, 9);

        var droppedReport = dropped.Evaluate();

        Assert.True(droppedReport.Passed, droppedReport.Describe());
        Assert.Equal(4, droppedReport.SlotsPaused); // 5 and 6 dropped, 7 and 8 paused
        Assert.Contains(gap.Evaluate().Violations, v => v.StartsWith("LOST: j has no run and no misfire excuse for 10:00:05.000", StringComparison.Ordinal));
    }

    [Fact]
    public void An_occurrence_that_came_due_while_paused_must_not_run_even_after_the_resume()
    {
        // Paused during 2.5..2.52, resumed during 6.5..6.52: 3..6 are not due. A completion that overwrote the resume
        // ran occurrence 4 after it.
        var correct = new History().RunEverySecond(0, 2).Pause(2.5).Resume(6.5).RunEverySecond(7, 9);
        var defect = new History().RunEverySecond(0, 2).Pause(2.5).Resume(6.5)
            .Run(4, "a", startedAt: 6.6, finishedAt: 6.8).RunEverySecond(7, 9);
        var duringPause = new History().RunEverySecond(0, 2).Pause(2.5).Run(3, "a", startedAt: 3.05, finishedAt: 3.3).Resume(6.5).RunEverySecond(7, 9);

        var correctReport = correct.Evaluate();
        var report = defect.Evaluate();
        var duringReport = duringPause.Evaluate();

        Assert.True(correctReport.Passed, correctReport.Describe());
        Assert.Equal(4, correctReport.SlotsPaused);
        Assert.Equal(6, correctReport.Slots);
        Assert.Equal(1, report.RanWhilePaused);
        Assert.Contains(report.Violations, v => v.StartsWith("RAN WHILE PAUSED: j @ 10:00:04.000", StringComparison.Ordinal));
        Assert.Equal(1, duringReport.RanWhilePaused);
    }

    [Fact]
    public void A_slot_after_the_resume_is_due_again()
    {
        var history = new History().RunEverySecond(0, 2).Pause(2.5).Resume(6.5).RunEverySecond(8, 9);

        var report = history.Evaluate();

        Assert.Equal(1, report.Lost);
        Assert.Contains(report.Violations, v => v.StartsWith("LOST: j has no run and no misfire excuse for 10:00:07.000", StringComparison.Ordinal));
    }

    [Fact]
    public void Every_trigger_gives_exactly_one_run()
    {
        // A paused job triggered during 3.2..3.21: its manual run's occurrence is the request time.
        History Paused(Func<History, History> whilePaused) =>
            whilePaused(new History().RunEverySecond(0, 2).Pause(2.5).Trigger(3.2)).Resume(6.5).RunEverySecond(7, 9);
        var correct = Paused(h => h.ManualRun(3.205, "a", startedAt: 3.25, finishedAt: 3.5));
        var notRun = new History().RunEverySecond(0, 2).Pause(2.5).Trigger(3.2); // paused to the end: only a manual run could serve it
        var twice = Paused(h => h.ManualRun(3.205, "a", startedAt: 3.25, finishedAt: 3.5).ManualRun(3.207, "b", startedAt: 3.6, finishedAt: 3.8));
        var unasked = new History().RunEverySecond(0, 4).ManualRun(4.5, "a", startedAt: 4.55, finishedAt: 4.7).RunEverySecond(5, 9);
        // Resumed before any node took the trigger: the next scheduled run satisfies it (one run).
        var servedAfterResume = new History().RunEverySecond(0, 2).Pause(2.5).Trigger(6.4).Resume(6.45).RunEverySecond(7, 9);

        var correctReport = correct.Evaluate();

        Assert.True(correctReport.Passed, correctReport.Describe());
        Assert.Equal(1, correctReport.ManualRuns);
        Assert.Contains(notRun.Evaluate().Violations, v => v.StartsWith("TRIGGER NOT RUN: j", StringComparison.Ordinal));
        Assert.Contains(twice.Evaluate().Violations, v => v.StartsWith("TRIGGER RAN TWICE: j", StringComparison.Ordinal));
        Assert.Contains(unasked.Evaluate().Violations, v => v.StartsWith("MANUAL RUN WITHOUT TRIGGER: j", StringComparison.Ordinal));
        Assert.True(servedAfterResume.Evaluate().Passed, servedAfterResume.Evaluate().Describe());
    }

    [Fact]
    public void A_trigger_of_a_job_that_is_not_paused_may_be_served_by_its_next_scheduled_run()
    {
        // The engine lets a due run satisfy a pending trigger: no manual run, and that is one run.
        var history = new History().RunEverySecond(0, 9).Trigger(4.95);

        var report = history.Evaluate();

        Assert.True(report.Passed, report.Describe());
        Assert.Equal(1, report.Triggers);
    }

    /// <summary>A hand-written history of one every-second job "j"; times are seconds after 10:00:00.</summary>
    private sealed class History
    {
        private readonly List<AuditRow> _audit = [];
        private readonly List<CompletionRow> _completions = [];
        private readonly FleetEvents _events = new();
        private long _fence;

        public History RunEverySecond(int from, int to, string node = "a") => RunEvery(from, to, 1, node);

        public History RunEvery(int from, int to, int step, string node = "a")
        {
            for (var s = from; s <= to; s += step) Run(s, node, startedAt: s + 0.05, finishedAt: s + 0.3);
            return this;
        }

        public History ManualRun(double occurrence, string node, double startedAt, double finishedAt)
        {
            _audit.Add(new AuditRow("j", At(occurrence), node, ++_fence, 1, At(startedAt), Manual: true));
            _completions.Add(new CompletionRow("j", At(occurrence), 1, node, _fence, 0, At(startedAt), At(finishedAt), Manual: true));
            return this;
        }

        // A definition switch of "j" to "every <period> s" whose seed committed in [from, seenAt] with j's fence then.
        // The history before it follows initialPeriod (the audit's initial definition is every second; a history
        // that starts every 2 s is modelled by a first switch before the window).
        public History Switch(int period, double from, double seenAt, long fence, int initialPeriod = 1, int offset = 0, int initialOffset = 0)
        {
            if (initialPeriod != 1) _events.Switched(new DefinitionSwitch(0, initialPeriod, initialOffset, At(-60), At(-59.9), new Dictionary<string, long> { ["j"] = 0 }));
            _events.Switched(new DefinitionSwitch(1, period, offset, At(from), At(seenAt), new Dictionary<string, long> { ["j"] = fence }));
            return this;
        }

        public History Pause(double at) => Act(OperatorActionKind.Pause, at);

        public History Resume(double at) => Act(OperatorActionKind.Resume, at);

        public History Trigger(double at) => Act(OperatorActionKind.Trigger, at);

        private History Act(OperatorActionKind kind, double at)
        {
            _events.Operated(new OperatorAction("j", kind, At(at), At(at + 0.02)));
            return this;
        }

        // Fences are handed out in call order, as claims of one job get them.
        public History Run(int occurrence, string node, double startedAt, double finishedAt)
        {
            Start(occurrence, node, startedAt);
            var f = _fence;
            _completions.Add(new CompletionRow("j", At(occurrence), 1, node, f, 0, At(startedAt), At(finishedAt)));
            return this;
        }

        public History Start(int occurrence, string node, double startedAt)
        {
            _audit.Add(new AuditRow("j", At(occurrence), node, ++_fence, 1, At(startedAt)));
            return this;
        }

        public History CompletionOnly(int occurrence, string node, long fence, double finishedAt)
        {
            _completions.Add(new CompletionRow("j", At(occurrence), 1, node, fence, 0, null, At(finishedAt)));
            return this;
        }

        public History Killed(string node, double at)
        {
            _events.Killed(node, At(at));
            return this;
        }

        public History Frozen(string node, double from, double to)
        {
            _events.Frozen(node, At(from), At(to));
            return this;
        }

        public History Stalled(string node, double from, double to)
        {
            _events.Stalled(node, At(from), At(to));
            return this;
        }

        public History Outage(double from, double to)
        {
            _events.DatabaseDown(At(from), At(to));
            return this;
        }

        public AuditReport Evaluate(int windowEnd = 9) =>
            FleetAudit.Evaluate(new AuditInput(["j"], T0, At(windowEnd), _audit, _completions, _events, Lease, Poll, Threshold));

        private static DateTimeOffset At(double seconds) => T0.AddMilliseconds(seconds * 1000);
    }
}
