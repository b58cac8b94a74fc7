using System.Globalization;

namespace DistCron.Fleet;

/// <summary>What the audit needs: the rows, the window, what the harness did, and the fleet's lease settings.</summary>
/// <param name="Jobs">The every-second jobs the fleet registered; each must run at every second of the window.</param>
/// <param name="WindowFrom">Start of the audited window (after warm-up).</param>
/// <param name="WindowTo">End of the audited window (before the graceful stop).</param>
/// <param name="Audit">Every audit row of the app (what job bodies did).</param>
/// <param name="Completions">Every row of DistCron's <c>runs</c> history of the app (what the store accepted).</param>
/// <param name="Events">Kills, freezes and database outages, with their times.</param>
/// <param name="Lease">The nodes' lease duration.</param>
/// <param name="Poll">The nodes' poll interval.</param>
/// <param name="MisfireThreshold">The nodes' misfire threshold: a claim later than this collapses missed slots.</param>
public sealed record AuditInput(
    IReadOnlyCollection<string> Jobs,
    DateTimeOffset WindowFrom,
    DateTimeOffset WindowTo,
    IReadOnlyList<AuditRow> Audit,
    IReadOnlyList<CompletionRow> Completions,
    FleetEvents Events,
    TimeSpan Lease,
    TimeSpan Poll,
    TimeSpan MisfireThreshold)
{
    /// <summary>How far ahead of its due time a node claims a run (the engine's ClaimAhead: at most 100 ms).</summary>
    public TimeSpan ClaimAhead { get; init; } = TimeSpan.FromMilliseconds(100);
}

/// <summary>The audit's figures and every violation found.</summary>
public sealed record AuditReport(
    int Slots,
    int SlotsRan,
    int SlotsCoalesced,
    int Lost,
    int RunsStarted,
    int Completions,
    int DuplicatesStarted,
    int DuplicatesAfterKill,
    int DuplicatesAfterFreeze,
    int DuplicatesAfterOutage,
    int DuplicatesCompleted,
    int IncompleteRuns,
    int IncompleteAfterKill,
    int IncompleteAfterFreeze,
    int IncompleteAfterOutage,
    int Kills,
    int Freezes,
    int DatabaseRestarts,
    IReadOnlyList<string> Violations)
{
    public bool Passed => Violations.Count == 0;

    /// <summary>Stretches in which a node reported it could not run (CPU starvation, a blocking GC).</summary>
    public int Stalls { get; init; }

    /// <summary>Duplicate starts whose only cause is a stall of the superseded node.</summary>
    public int DuplicatesAfterStall { get; init; }

    /// <summary>Runs that never completed because their node stalled past its lease.</summary>
    public int IncompleteAfterStall { get; init; }

    /// <summary>Definition switches (rolling deploys that changed the schedule).</summary>
    public int Deploys { get; init; }

    /// <summary>Seconds of a job not audited because a definition switch had not settled yet.</summary>
    public int SlotsUnsettled { get; init; }

    /// <summary>Occurrences not due because the job was paused.</summary>
    public int SlotsPaused { get; init; }

    public int Pauses { get; init; }

    public int Resumes { get; init; }

    public int Triggers { get; init; }

    /// <summary>Manual runs (distinct trigger occurrences that started).</summary>
    public int ManualRuns { get; init; }

    /// <summary>Runs of an occurrence the current definition does not have, after its switch settled.</summary>
    public int OldScheduleRuns { get; init; }

    /// <summary>Scheduled runs of an occurrence that came due while the job was paused.</summary>
    public int RanWhilePaused { get; init; }

    /// <summary>Triggers with no run, with two runs, and manual runs no trigger asked for.</summary>
    public int TriggerFaults { get; init; }

    /// <summary>The one-line summary the chaos tool prints and the tests log.</summary>
    public string Summary => string.Create(CultureInfo.InvariantCulture,
        $"runs={RunsStarted} completions={Completions} kills={Kills} restarts={DatabaseRestarts} freezes={Freezes} stalls={Stalls} " +
        $"duplicates-started={DuplicatesStarted} (after-kill={DuplicatesAfterKill} after-freeze={DuplicatesAfterFreeze} after-outage={DuplicatesAfterOutage} after-stall={DuplicatesAfterStall}) " +
        $"duplicates-completed={DuplicatesCompleted} lost={Lost} slots={Slots} ran={SlotsRan} coalesced={SlotsCoalesced} " +
        $"incomplete={IncompleteRuns} (kill={IncompleteAfterKill} freeze={IncompleteAfterFreeze} outage={IncompleteAfterOutage} stall={IncompleteAfterStall}) " +
        $"deploys={Deploys} unsettled={SlotsUnsettled} pauses={Pauses} resumes={Resumes} paused-slots={SlotsPaused} triggers={Triggers} manual-runs={ManualRuns} " +
        $"old-schedule={OldScheduleRuns} ran-while-paused={RanWhilePaused} trigger-faults={TriggerFaults} violations={Violations.Count}");

    /// <summary>The summary plus the first violations, for an assertion message.</summary>
    public string Describe(int maxViolations = 30) =>
        Summary + (Violations.Count == 0 ? string.Empty : "\n" + string.Join('\n', Violations.Take(maxViolations))
            + (Violations.Count > maxViolations ? $"\n... and {Violations.Count - maxViolations} more" : string.Empty));
}

/// <summary>
/// Decides, from what the job bodies recorded (audit table) and what DistCron recorded (runs history), whether the
/// fleet kept its promise: each occurrence runs once across the fleet, and none is lost. Pure code, no I/O.
/// </summary>
/// <remarks>
/// <para>Definitions. A <b>slot</b> is (job, whole second) inside the window: every test job is "* * * * * *". A
/// <b>claim</b> is identified by (job, fence): the fence grows with every claim of a job. An audit row is a claim
/// whose body started; a completion is a claim whose fenced COMPLETE the store accepted.</para>
/// <para>The rules; each broken one is a violation (exit code 1 of the chaos tool, a failed test):</para>
/// <list type="number">
/// <item><b>Lost</b>. Every slot ran (an audit row carries that occurrence), or was legitimately <b>coalesced</b> by
/// the misfire policy (RunOnce: one catch-up run covers every occurrence missed while the job could not run). A slot
/// s is coalesced when it came due while the job was still busy with an earlier occurrence p, the latest one before
/// s that ran: s &lt;= busyEnd(p). When p was completed, busyEnd(p) is its (latest) completion's finish time: exact,
/// since the engine resumes a catch-up at the first occurrence after the database time of its completion. When no
/// claim of p ever completed, it is the moment another node could take p over: max(its start, the kill/freeze of
/// its node, the end of a database outage around it) + lease + poll + slack. A slot with no run and no such excuse is
/// LOST.</item>
/// <item><b>Unfinished</b>. An occurrence of the window that started but that no claim ever completed: an
/// interrupted run (killed, frozen, cut off) must be claimed and run again after its lease, since the row still
/// points at that occurrence. Counted with the lost ones.</item>
/// <item><b>Duplicate start</b>. One occurrence started under two or more claims. Allowed (and counted) only when
/// each superseded claim (all but the highest fence) never completed AND was interrupted: its node was SIGKILLed or
/// SIGSTOPped, or the database was down, between its start and the time its lease could lapse. The re-run after the
/// lease expired is the protocol working; any other duplicate start is a violation (checked inside the window,
/// since the graceful stop at the end is not chaos).</item>
/// <item><b>Double completion</b>. Two accepted completions of one (job, occurrence, attempt).</item>
/// <item><b>Stale (zombie) completion</b>. A completion with fence f that the store accepted after a claim with a
/// higher fence had started: a frozen node woke up and completed or overwrote what another node owned. Also any
/// pair of completions of one job whose finish order contradicts their fence order.</item>
/// <item><b>Phantom completion</b>. A "succeeded" completion whose claim has no audit row: history says the job ran
/// when its body never started.</item>
/// <item><b>Early run</b>. A body that started (database clock) before its occurrence was due: the node trusted
/// its own clock, which the chaos run skews by up to ±10 minutes on purpose.</item>
/// <item><b>Misfire policy</b>. While the database is down nothing can run. When it is back, an occurrence claimed
/// more than the misfire threshold late has misfired, and RunOnce means ONE catch-up per job for all of them, not one
/// run per missed second. So among the occurrences that came due while the database was surely down (a second inside
/// the outage) and more than threshold + 1 s before it came back, at most one may run per job.</item>
/// </list>
/// <para>Rolling deploys and the operator (rules 9-11: see <see cref="FleetAudit"/>'s other part, FleetAudit.Operations.cs)
/// change which seconds are slots: a slot is a second the job's CURRENT definition has, outside any unsettled switch
/// and any pause; manual runs are no slot's run.</para>
/// <para>Database times (audit <c>started_at</c>, <c>runs.finished_at</c>) come from the one database server, so
/// they are comparable; harness event times come from the same machine's clock. Node clocks (possibly skewed on
/// purpose) are never used.</para>
/// </remarks>
public static partial class FleetAudit
{
    /// <summary>Allowance for a loaded machine between "the lease lapsed" and "another node's poll claimed it".</summary>
    public static readonly TimeSpan Slack = TimeSpan.FromSeconds(2);

    // Occurrences are whole seconds; finish and start times are database timestamps (microseconds on PostgreSQL,
    // milliseconds on SQLite): a few milliseconds absorb the rounding of SQLite's julianday arithmetic.
    private static readonly TimeSpan ClockRounding = TimeSpan.FromMilliseconds(5);

    // No allowance for a node's clock estimate: the engine anchors the database's now() at the end of a round trip, so
    // its estimate never runs ahead of the database and a catch-up can never collapse a slot that had not yet come.
    // (An earlier midpoint anchor did, once in a 5-minute chaos run: that slot now counts as lost, as it should.)

    public static AuditReport Evaluate(AuditInput input)
    {
        var violations = new List<string>();
        var kills = input.Events.Kills;
        var freezes = input.Events.Freezes;
        var outages = input.Events.Outages;
        var stalls = input.Events.Stalls;
        // For when a claim's heartbeats could stop, a node that could not run is the same as a frozen one.
        var suspensions = freezes.Concat(stalls).ToArray();
        var completionsByClaim = input.Completions
            .GroupBy(c => (c.Job, c.Fence))
            .ToDictionary(g => g.Key, g => g.ToList());
        var auditByClaim = input.Audit
            .GroupBy(a => (a.Job, a.Fence))
            .ToDictionary(g => g.Key, g => g.First());
        var operations = Operations.Build(input, completionsByClaim);

        // Rules 1 and 2: lost slots, unfinished occurrences.
        int slots = 0, ran = 0, coalesced = 0, lost = 0, unfinishedCount = 0, unsettled = 0, pausedSlots = 0;
        var auditByJob = input.Audit.ToLookup(a => a.Job, StringComparer.Ordinal);
        var completionsByJob = input.Completions.ToLookup(c => c.Job, StringComparer.Ordinal);
        var firstSlot = CeilingToSecond(input.WindowFrom);
        foreach (var job in input.Jobs.Order(StringComparer.Ordinal))
        {
            // occurrence -> busyEnd. A completed occurrence ends exactly at its (latest) completion; only an occurrence
            // that no claim ever completed falls back to the bound of when its claims could be taken over.
            // Manual runs leave the schedule alone: a completed one collapses nothing. One that never completed held
            // the row until its lease could lapse, like any interrupted run.
            var occurrences = new SortedDictionary<DateTimeOffset, DateTimeOffset>();
            foreach (var completion in completionsByJob[job].Where(c => !c.Manual))
            {
                occurrences[completion.OccurrenceAt] = Max(
                    occurrences.GetValueOrDefault(completion.OccurrenceAt, DateTimeOffset.MinValue), completion.FinishedAt);
            }

            var completedOccurrences = completionsByJob[job].Select(c => c.OccurrenceAt).ToHashSet();
            foreach (var row in auditByJob[job].Where(r => !completedOccurrences.Contains(r.OccurrenceAt)))
            {
                occurrences[row.OccurrenceAt] = Max(
                    occurrences.GetValueOrDefault(row.OccurrenceAt, DateTimeOffset.MinValue),
                    TakeoverBound(row, kills, suspensions, outages, input.Lease, input.Poll));
            }

            var ranAt = auditByJob[job].Where(a => !a.Manual).Select(a => a.OccurrenceAt).ToHashSet();
            var ranOccurrences = ranAt.Order().ToArray();
            var keys = occurrences.Keys.ToArray();
            var lostRun = new List<DateTimeOffset>();
            for (var slot = firstSlot; slot <= input.WindowTo; slot = slot.AddSeconds(1))
            {
                var definition = operations.DefinitionAt(job, slot);
                if (!definition.Settled)
                {
                    unsettled++;
                    continue;
                }

                if (!Matches(slot, definition)) continue;
                if (operations.PausedAt(job, slot))
                {
                    pausedSlots++;
                    continue;
                }

                slots++;
                if (ranAt.Contains(slot))
                {
                    ran++;
                    continue;
                }

                var index = Array.BinarySearch(keys, slot);
                var previous = index >= 0 ? index - 1 : ~index - 1;
                if (previous >= 0 && slot <= occurrences[keys[previous]] + ClockRounding)
                {
                    coalesced++;
                    continue;
                }

                if (operations.DroppedByReplacement(job, slot, ranOccurrences) is { } bySwitch)
                {
                    if (bySwitch) unsettled++;
                    else pausedSlots++;
                    continue;
                }

                lost++;
                lostRun.Add(slot);
            }

            foreach (var (first, range) in Ranges(lostRun))
            {
                // What the job did last before the gap, so a failure explains itself.
                var index = Array.BinarySearch(keys, first);
                var previous = (index >= 0 ? index : ~index) - 1;
                var context = previous < 0
                    ? "no earlier occurrence ran"
                    : $"previous occurrence {Format(keys[previous])}: " +
                      string.Join(", ", auditByJob[job].Where(a => a.OccurrenceAt == keys[previous]).Select(a => $"fence {a.Fence} on {a.NodeId} started {Format(a.StartedAt)}")) +
                      "; completed " + string.Join(", ", completionsByJob[job].Where(c => c.OccurrenceAt == keys[previous]).Select(c => $"fence {c.Fence} at {Format(c.FinishedAt)}"));
                violations.Add($"LOST: {job} has no run and no misfire excuse for {range} ({context})");
            }

            foreach (var unfinished in auditByJob[job]
                         .Where(r => r.OccurrenceAt >= firstSlot && r.OccurrenceAt <= input.WindowTo && !completedOccurrences.Contains(r.OccurrenceAt))
                         // A manual run is judged by the trigger rule.
                         .Where(r => !r.Manual)
                         .GroupBy(r => r.OccurrenceAt)
                         // A seed or a resume replaces the row's occurrence, so an interrupted one is legitimately dropped
                         // when either came before its last claim could be taken over (earlier claims were taken over).
                         .Where(g => g.MaxBy(r => r.Fence) is var last
                                     && !operations.ReplacedBeforeTakeover(last!, TakeoverBound(last!, kills, suspensions, outages, input.Lease, input.Poll))))
            {
                unfinishedCount++;
                violations.Add($"UNFINISHED: {job} @ {Format(unfinished.Key)} started ({string.Join(", ", unfinished.Select(r => $"fence {r.Fence} on {r.NodeId}"))}) " +
                               "but no claim of it ever completed; an interrupted occurrence must be run again");
            }
        }

        // Rule 3: duplicate starts (inside the window).
        int duplicatesStarted = 0, afterKill = 0, afterFreeze = 0, afterOutage = 0, afterStall = 0;
        foreach (var group in input.Audit
                     .Where(a => a.OccurrenceAt >= firstSlot && a.OccurrenceAt <= input.WindowTo)
                     .GroupBy(a => (a.Job, a.OccurrenceAt, a.Attempt)))
        {
            var claims = group.OrderBy(a => a.Fence).ToList();
            if (claims.Count < 2) continue;
            duplicatesStarted++;
            var causes = new HashSet<string>(StringComparer.Ordinal);
            foreach (var superseded in claims.Take(claims.Count - 1))
            {
                var what = $"{superseded.Job} @ {Format(superseded.OccurrenceAt)} fence {superseded.Fence} on {superseded.NodeId}";
                if (completionsByClaim.ContainsKey((superseded.Job, superseded.Fence)))
                {
                    violations.Add($"RE-RUN AFTER COMPLETION: {what} completed, yet fence {claims[^1].Fence} on {claims[^1].NodeId} ran it again" +
                                   operations.DuringSwitch(superseded.Job, superseded.StartedAt, claims[^1].StartedAt));
                    continue;
                }

                var cause = Interruption(superseded, kills, freezes, stalls, outages, input.Lease);
                if (cause is null)
                {
                    violations.Add($"DUPLICATE START WITHOUT CAUSE: {what} was neither killed, frozen, stalled nor cut off by an outage, " +
                                   $"yet fence {claims[^1].Fence} on {claims[^1].NodeId} ran it again");
                }
                else
                {
                    causes.Add(cause);
                }
            }

            if (causes.Contains("kill")) afterKill++;
            else if (causes.Contains("freeze")) afterFreeze++;
            else if (causes.Contains("outage")) afterOutage++;
            else if (causes.Contains("stall")) afterStall++;
        }

        // Rule 4: double completions.
        var duplicatesCompleted = 0;
        foreach (var group in input.Completions.GroupBy(c => (c.Job, c.OccurrenceAt, c.Attempt)).Where(g => g.Count() > 1))
        {
            duplicatesCompleted++;
            violations.Add($"COMPLETED TWICE: {group.Key.Job} @ {Format(group.Key.OccurrenceAt)} attempt {group.Key.Attempt} by " +
                           string.Join(", ", group.Select(c => $"{c.NodeId} (fence {c.Fence})")));
        }

        // Rule 5: stale completions.
        foreach (var job in completionsByJob)
        {
            var starts = auditByJob[job.Key].OrderBy(a => a.Fence).ToArray();
            foreach (var completion in job)
            {
                var overtaken = starts.FirstOrDefault(a => a.Fence > completion.Fence && a.StartedAt + ClockRounding < completion.FinishedAt);
                if (overtaken is not null)
                {
                    violations.Add($"STALE COMPLETION: {job.Key} fence {completion.Fence} on {completion.NodeId} completed at " +
                                   $"{Format(completion.FinishedAt)}, after fence {overtaken.Fence} on {overtaken.NodeId} started at {Format(overtaken.StartedAt)}");
                }
            }

            var byFinish = job.OrderBy(c => c.FinishedAt).ThenBy(c => c.Fence).ToArray();
            for (var i = 1; i < byFinish.Length; i++)
            {
                if (byFinish[i].Fence <= byFinish[i - 1].Fence)
                {
                    violations.Add($"COMPLETIONS OUT OF FENCE ORDER: {job.Key} fence {byFinish[i].Fence} on {byFinish[i].NodeId} completed " +
                                   $"after fence {byFinish[i - 1].Fence} on {byFinish[i - 1].NodeId}");
                }
            }
        }

        // Rule 6: phantom completions.
        foreach (var completion in input.Completions.Where(c => c.Status == 0 && !auditByClaim.ContainsKey((c.Job, c.Fence))))
        {
            violations.Add($"PHANTOM COMPLETION: {completion.Job} @ {Format(completion.OccurrenceAt)} fence {completion.Fence} on " +
                           $"{completion.NodeId} recorded as succeeded, but its body never started");
        }

        // Rule 7: early runs.
        foreach (var early in input.Audit.Where(a => a.StartedAt + ClockRounding < a.OccurrenceAt))
        {
            violations.Add($"EARLY RUN: {early.Job} @ {Format(early.OccurrenceAt)} started at {Format(early.StartedAt)} on {early.NodeId} (fence {early.Fence})");
        }

        // Rule 8: misfire policy across database outages.
        foreach (var outage in outages)
        {
            var surelyDownFrom = outage.From + TimeSpan.FromSeconds(1);
            var surelyDownTo = outage.To - input.MisfireThreshold - TimeSpan.FromSeconds(1);
            foreach (var job in input.Audit
                         .Where(a => !a.Manual && a.OccurrenceAt >= surelyDownFrom && a.OccurrenceAt <= surelyDownTo)
                         .GroupBy(a => a.Job)
                         .Where(g => g.Select(a => a.OccurrenceAt).Distinct().Count() > 1))
            {
                violations.Add($"MISFIRE POLICY: {job.Key} ran {job.Select(a => a.OccurrenceAt).Distinct().Count()} occurrences missed during " +
                               $"the outage {Format(outage.From)}..{Format(outage.To)}; RunOnce allows one catch-up");
            }
        }

        // Runs that started and never completed, by what interrupted them (none: the graceful stop at the end, or a
        // lost lease with no outside cause, which shows up as a violation of rule 2 if the occurrence was re-run).
        var incomplete = input.Audit.Where(a => !completionsByClaim.ContainsKey((a.Job, a.Fence)))
            .Select(a => Interruption(a, kills, freezes, stalls, outages, input.Lease))
            .ToList();

        // Rules 9-11: definition switches, pauses, triggers.
        var counts = operations.Check(firstSlot, input.WindowTo, violations);
        return new AuditReport(
            slots, ran, coalesced, lost + unfinishedCount, input.Audit.Count, input.Completions.Count,
            duplicatesStarted, afterKill, afterFreeze, afterOutage, duplicatesCompleted,
            incomplete.Count, incomplete.Count(c => c == "kill"), incomplete.Count(c => c == "freeze"), incomplete.Count(c => c == "outage"),
            kills.Count, freezes.Count, outages.Count, violations)
        {
            Deploys = operations.Switches,
            SlotsUnsettled = unsettled,
            SlotsPaused = pausedSlots,
            Pauses = operations.Count(OperatorActionKind.Pause),
            Resumes = operations.Count(OperatorActionKind.Resume),
            Triggers = operations.Count(OperatorActionKind.Trigger),
            ManualRuns = counts.ManualRuns,
            OldScheduleRuns = counts.OldScheduleRuns,
            RanWhilePaused = counts.RanWhilePaused,
            TriggerFaults = counts.TriggerFaults,
            Stalls = stalls.Count,
            DuplicatesAfterStall = afterStall,
            IncompleteAfterStall = incomplete.Count(c => c == "stall"),
        };
    }

    // When another node could have taken over a claim that never completed: the lease ran on from the last
    // heartbeat, which at the latest was when the node died or froze, or when the database came back.
    internal static DateTimeOffset TakeoverBound(AuditRow row, AuditInput input) =>
        TakeoverBound(row, input.Events.Kills, input.Events.Freezes.Concat(input.Events.Stalls).ToArray(), input.Events.Outages, input.Lease, input.Poll);

    // Whether a whole-second occurrence belongs to a schedule "every PeriodSeconds seconds, at OffsetSeconds".
    private static bool Matches(DateTimeOffset occurrence, Definition definition) =>
        occurrence.UtcTicks % TimeSpan.TicksPerSecond == 0 && occurrence.ToUnixTimeSeconds() % definition.PeriodSeconds == definition.OffsetSeconds;

    private static DateTimeOffset TakeoverBound(
        AuditRow row,
        IReadOnlyDictionary<string, DateTimeOffset> kills,
        IReadOnlyList<(string NodeId, DateTimeOffset From, DateTimeOffset To)> freezes,
        IReadOnlyList<(DateTimeOffset From, DateTimeOffset To)> outages,
        TimeSpan lease,
        TimeSpan poll)
    {
        var heartbeatsStopped = row.StartedAt;
        var horizon = row.StartedAt + lease + Slack;
        if (kills.TryGetValue(row.NodeId, out var killedAt) && killedAt >= row.StartedAt && killedAt <= horizon)
        {
            heartbeatsStopped = Max(heartbeatsStopped, killedAt);
        }

        foreach (var freeze in freezes.Where(f => f.NodeId == row.NodeId && f.From <= horizon && f.To >= row.StartedAt - TimeSpan.FromSeconds(1)))
        {
            heartbeatsStopped = Max(heartbeatsStopped, freeze.From);
        }

        var bound = heartbeatsStopped + lease + poll + Slack;
        foreach (var outage in outages.Where(o => o.From <= horizon && o.To >= row.StartedAt - TimeSpan.FromSeconds(1)))
        {
            bound = Max(bound, outage.To + StoreRetry + lease + poll + Slack);
        }

        return bound;
    }

    // Why a claim that started may legitimately never complete.
    private static string? Interruption(
        AuditRow row,
        IReadOnlyDictionary<string, DateTimeOffset> kills,
        IReadOnlyList<(string NodeId, DateTimeOffset From, DateTimeOffset To)> freezes,
        IReadOnlyList<(string NodeId, DateTimeOffset From, DateTimeOffset To)> stalls,
        IReadOnlyList<(DateTimeOffset From, DateTimeOffset To)> outages,
        TimeSpan lease)
    {
        // The claim was taken no earlier than a second before the occurrence (the engine claims a little ahead), and
        // a node frozen between its claim and its body records its start only after the thaw, however late that is.
        // A second of margin before the start covers a manual run, whose "occurrence" is the trigger's request time.
        var from = Min(row.StartedAt, row.OccurrenceAt) - TimeSpan.FromSeconds(1);
        var to = row.StartedAt + lease + Slack;
        if (kills.TryGetValue(row.NodeId, out var killedAt) && killedAt >= from && killedAt <= to) return "kill";
        if (freezes.Any(f => f.NodeId == row.NodeId && f.From <= to && f.To >= from)) return "freeze";
        if (outages.Any(o => o.From <= to && o.To >= from)) return "outage";
        var stalled = stalls.Where(f => f.NodeId == row.NodeId && f.From <= to && f.To >= from)
            .Sum(f => (Min(f.To, to) - Max(f.From, from)).TotalMilliseconds);
        return stalled >= StallExcuse.TotalMilliseconds ? "stall" : null;
    }

    /// <summary>
    /// The longest a node waits between two store attempts during an outage (the engine's store backoff): after the
    /// database is back, a node may need that long to try again before it can take a claim over.
    /// </summary>
    private static readonly TimeSpan StoreRetry = TimeSpan.FromSeconds(6);

    /// <summary>
    /// How long a node must have been unable to run, in all, around a claim for its takeover to be the stall's doing:
    /// a quarter of the chaos lease, well above a scheduling hiccup, below what a heartbeat round can absorb.
    /// </summary>
    private static readonly TimeSpan StallExcuse = TimeSpan.FromSeconds(1);

    private static DateTimeOffset CeilingToSecond(DateTimeOffset time)
    {
        var floor = new DateTimeOffset(time.UtcTicks - time.UtcTicks % TimeSpan.TicksPerSecond, TimeSpan.Zero);
        return floor == time ? floor : floor.AddSeconds(1);
    }

    internal static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a >= b ? a : b;

    internal static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a <= b ? a : b;

    internal static string Format(DateTimeOffset time) =>
        time.UtcDateTime.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture);

    private static IEnumerable<(DateTimeOffset First, string Text)> Ranges(List<DateTimeOffset> seconds)
    {
        for (var i = 0; i < seconds.Count;)
        {
            var j = i;
            while (j + 1 < seconds.Count && seconds[j + 1] == seconds[j].AddSeconds(1)) j++;
            yield return (seconds[i], i == j
                ? $"{Format(seconds[i])}"
                : $"{Format(seconds[i])}..{Format(seconds[j])} ({j - i + 1} slots)");
            i = j + 1;
        }
    }
}
