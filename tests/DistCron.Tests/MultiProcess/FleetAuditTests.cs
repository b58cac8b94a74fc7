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

    /// <summary>A hand-written history of one every-second job "j"; times are seconds after 10:00:00.</summary>
    private sealed class History
    {
        private readonly List<AuditRow> _audit = [];
        private readonly List<CompletionRow> _completions = [];
        private readonly FleetEvents _events = new();
        private long _fence;

        public History RunEverySecond(int from, int to, string node = "a")
        {
            for (var s = from; s <= to; s++) Run(s, node, startedAt: s + 0.05, finishedAt: s + 0.3);
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
