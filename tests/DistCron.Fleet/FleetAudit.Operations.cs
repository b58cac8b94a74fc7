namespace DistCron.Fleet;

/// <remarks>
/// <para>Rules of rolling deploys and operator actions. Definitions:</para>
/// <para>A <b>switch</b> is a rolling deploy that changed a job's definition (schedule and hash). Its seed committed in
/// [From, SeenAt] (<see cref="DefinitionSwitch"/>). It <b>settles</b>, per job, once every claim that may have been
/// taken under the old definition is over: settle = max(SeenAt, the finish of every completion with a fence at most
/// the job's fence read at SeenAt, the takeover bound of every such claim that never completed). Every claim taken
/// before the seed has such a fence, so after settle only claims of the new definition exist. Between From and settle
/// either schedule may run; nothing is audited there except duplicates and fences (rules 3-7).</para>
/// <para>A job is <b>paused</b> from the pause (taking effect in [p0, p1]) to the resume ([r0, r1]); an action that
/// failed (no acknowledgement) may or may not have taken effect, so the job is excused from then on.</para>
/// <list type="number">
/// <item><description>(9) <b>Current definition</b>. After a switch settled, every occurrence of the new schedule is a
/// slot (rule 1: run once, or coalesced; none silenced), and a scheduled run of an occurrence the new schedule does not
/// have is an OLD-SCHEDULE RUN. Before From the old schedule's slots are due, except the last ones before the switch
/// when none of them (and nothing after them) was claimed yet: the seed replaced the row's due time with the new
/// schedule's, which is the documented effect of a changed definition (counted as unsettled). Likewise the last
/// unclaimed occurrences before a pause: the resume restarts at the next occurrence after it (counted as paused).</description></item>
/// <item><description>(10) <b>Paused</b>. An occurrence that came due while the job was surely paused (after
/// p1 + claim-ahead, before r0) is not a slot, and it must never run by schedule, neither during the pause nor after the
/// resume (a resume restarts at the next occurrence after the database's now): else RAN WHILE PAUSED.</description></item>
/// <item><description>(11) <b>Triggers</b>. A manual run's occurrence is its trigger's request time. Every acknowledged
/// trigger [t0, t1] gets exactly one run: a manual run whose occurrence lies in [t0, t1] (or in an earlier pending
/// trigger's, started after t0), or a scheduled run claimed after it (the engine lets a due run satisfy a pending
/// trigger, also once a paused job is resumed): else TRIGGER NOT RUN. Two manual occurrences inside one trigger are TRIGGER RAN TWICE;
/// a manual run inside no trigger is a MANUAL RUN WITHOUT TRIGGER.</description></item>
/// </list>
/// </remarks>
public static partial class FleetAudit
{
    internal readonly record struct Definition(bool Settled, int PeriodSeconds, int OffsetSeconds = 0);

    internal readonly record struct OperationCounts(int ManualRuns, int OldScheduleRuns, int RanWhilePaused, int TriggerFaults);

    /// <summary>One pause of a job; Certain is false when an unacknowledged action leaves the state unknown from PausedFrom on.</summary>
    private sealed record Pause(DateTimeOffset PausedFrom, DateTimeOffset PausedBy, DateTimeOffset ResumeFrom, DateTimeOffset ResumedBy, bool Certain);

    private sealed record Regime(DateTimeOffset From, DateTimeOffset Settle, int PeriodSeconds, int OffsetSeconds);

    /// <summary>The switches and pauses of every job, resolved once, and the checks of rules 9-11.</summary>
    internal sealed class Operations
    {
        private const int InitialPeriodSeconds = 1;

        /// <summary>How long before its commit a seed may have read the clock its first due times are computed from.</summary>
        private static readonly TimeSpan SeedClockBeforeCommit = TimeSpan.FromSeconds(2);
        private static readonly TimeSpan Rounding = TimeSpan.FromMilliseconds(5);
        private readonly AuditInput _input;
        private readonly Dictionary<string, List<Regime>> _regimes = new(StringComparer.Ordinal);
        private readonly Dictionary<string, List<Pause>> _pauses = new(StringComparer.Ordinal);
        private readonly IReadOnlyList<OperatorAction> _actions;
        private readonly IReadOnlyList<DefinitionSwitch> _switches;

        private Operations(AuditInput input, IReadOnlyList<OperatorAction> actions, IReadOnlyList<DefinitionSwitch> switches)
        {
            _input = input;
            _actions = actions;
            _switches = switches;
        }

        public int Switches => _switches.Count;

        public int Count(OperatorActionKind kind) => _actions.Count(a => a.Kind == kind);

        public static Operations Build(AuditInput input, IReadOnlyDictionary<(string Job, long Fence), List<CompletionRow>> completionsByClaim)
        {
            var operations = new Operations(input, input.Events.OperatorActions.OrderBy(a => a.From).ToArray(),
                input.Events.Switches.OrderBy(s => s.From).ToArray());
            foreach (var definitionSwitch in operations._switches)
            {
                foreach (var (job, fence) in definitionSwitch.FencesAtSeen)
                {
                    var settle = definitionSwitch.SeenAt;
                    foreach (var completion in input.Completions.Where(c => c.Job == job && c.Fence <= fence && !c.Manual))
                    {
                        settle = Max(settle, completion.FinishedAt);
                    }

                    foreach (var row in input.Audit.Where(a => a.Job == job && a.Fence <= fence && !a.Manual && !completionsByClaim.ContainsKey((a.Job, a.Fence))))
                    {
                        settle = Max(settle, TakeoverBound(row, input));
                    }

                    if (!operations._regimes.TryGetValue(job, out var regimes)) operations._regimes[job] = regimes = [];
                    regimes.Add(new Regime(definitionSwitch.From, settle, definitionSwitch.PeriodSeconds, definitionSwitch.OffsetSeconds));
                }
            }

            foreach (var job in operations._actions.GroupBy(a => a.Job, StringComparer.Ordinal))
            {
                var pauses = operations._pauses[job.Key] = [];
                OperatorAction? pausedBy = null;
                foreach (var action in job.Where(a => a.Kind != OperatorActionKind.Trigger))
                {
                    if (!action.Acknowledged)
                    {
                        // Unknown from here on: excused to the end, and no "ran while paused" claim either.
                        pauses.Add(new Pause(pausedBy?.From ?? action.From, DateTimeOffset.MaxValue, DateTimeOffset.MinValue, DateTimeOffset.MaxValue, false));
                        break;
                    }

                    if (action.Kind == OperatorActionKind.Pause && pausedBy is null)
                    {
                        pausedBy = action;
                    }
                    else if (action.Kind == OperatorActionKind.Resume && pausedBy is not null)
                    {
                        pauses.Add(new Pause(pausedBy.From, pausedBy.To, action.From, action.To, true));
                        pausedBy = null;
                    }
                }

                if (pausedBy is not null && pauses.All(p => p.Certain))
                {
                    pauses.Add(new Pause(pausedBy.From, pausedBy.To, DateTimeOffset.MaxValue, DateTimeOffset.MaxValue, true));
                }
            }

            return operations;
        }

        /// <summary>The job's definition at <paramref name="time"/>: unsettled inside a switch, else the period in force.</summary>
        public Definition DefinitionAt(string job, DateTimeOffset time)
        {
            var period = InitialPeriodSeconds;
            var offset = 0;
            if (!_regimes.TryGetValue(job, out var regimes)) return new Definition(true, period);
            foreach (var regime in regimes)
            {
                if (time < regime.From) break;
                if (time <= regime.Settle) return new Definition(false, 0);
                period = regime.PeriodSeconds;
                offset = regime.OffsetSeconds;
            }

            return new Definition(true, period, offset);
        }

        /// <summary>
        /// Whether <paramref name="slot"/> (no run, no excuse so far) is one of the job's last occurrences before a switch
        /// or a pause, none of which ran: still unclaimed (the fleet was recovering) when the seed, or the resume that
        /// ended the pause, replaced the row's due time. Null: no; else true for a switch, false for a pause.
        /// </summary>
        public bool? DroppedByReplacement(string job, DateTimeOffset slot, IReadOnlyList<DateTimeOffset> ranOccurrences)
        {
            var nextSwitch = _regimes.TryGetValue(job, out var regimes) ? regimes.Where(r => r.From > slot).Select(r => (DateTimeOffset?)r.From).FirstOrDefault() : null;
            var nextPause = _pauses.TryGetValue(job, out var pauses) ? pauses.Where(p => p.PausedFrom > slot).Select(p => (DateTimeOffset?)p.PausedFrom).Min() : null;
            if (nextSwitch is null && nextPause is null) return null;
            var bySwitch = nextPause is null || (nextSwitch is { } s && s <= nextPause);
            var replacedAt = bySwitch ? nextSwitch!.Value : nextPause!.Value;
            return ranOccurrences.Any(o => o > slot && o < replacedAt) ? null : bySwitch;
        }

        /// <summary>True when the job may have been paused at <paramref name="time"/> (from the pause call to the end of the resume call).</summary>
        public bool PausedAt(string job, DateTimeOffset time) =>
            _pauses.TryGetValue(job, out var pauses) && pauses.Any(p => time >= p.PausedFrom && time <= p.ResumedBy);

        /// <summary>
        /// True when a seed or a resume may have replaced the row's occurrence while this interrupted claim held it. The
        /// claim was taken no earlier than a second before its occurrence, and possibly well before its body recorded
        /// itself (a node frozen between the two records its start only after the thaw).
        /// </summary>
        public bool ReplacedBeforeTakeover(AuditRow row, DateTimeOffset takeoverBound)
        {
            var claimedBy = Min(row.StartedAt, row.OccurrenceAt) - TimeSpan.FromSeconds(1);
            return _switches.Any(s => s.FencesAtSeen.ContainsKey(row.Job) && s.From <= takeoverBound && s.SeenAt >= claimedBy)
                   || (_pauses.TryGetValue(row.Job, out var pauses) && pauses.Any(p => p.PausedFrom <= takeoverBound && p.ResumedBy >= claimedBy));
        }

        /// <summary>
        /// Whether <paramref name="occurrence"/> belongs to the schedule of a seed that committed just after it: the seed
        /// reads the database clock under its row locks and computes the first due time from it before it commits, so
        /// the new schedule owns its occurrences from a little before the commit on.
        /// </summary>
        private bool DueByNextSeed(string job, DateTimeOffset occurrence) =>
            _regimes.TryGetValue(job, out var regimes)
            && regimes.Any(r => occurrence < r.From && occurrence >= r.From - SeedClockBeforeCommit
                                && Matches(occurrence, new Definition(true, r.PeriodSeconds, r.OffsetSeconds)));

        /// <summary>For a violation's message: the definition switch of the job whose seed may have committed between two times.</summary>
        public string DuringSwitch(string job, DateTimeOffset from, DateTimeOffset to) =>
            _switches.FirstOrDefault(s => s.FencesAtSeen.ContainsKey(job) && s.From <= to && s.SeenAt >= from) is { } found
                ? $" (release {found.Release}'s seed committed in {Format(found.From)}..{Format(found.SeenAt)}: a seed that re-schedules an occurrence already run)"
                : string.Empty;

        public OperationCounts Check(DateTimeOffset windowFrom, DateTimeOffset windowTo, List<string> violations)
        {
            // Rule 9: no scheduled run of an occurrence the current definition does not have.
            var oldSchedule = 0;
            foreach (var row in _input.Audit.Where(a => !a.Manual && a.OccurrenceAt >= windowFrom && a.OccurrenceAt <= windowTo)
                         .OrderBy(a => a.Job, StringComparer.Ordinal).ThenBy(a => a.OccurrenceAt))
            {
                var definition = DefinitionAt(row.Job, row.OccurrenceAt);
                if (!definition.Settled || Matches(row.OccurrenceAt, definition) || DueByNextSeed(row.Job, row.OccurrenceAt)) continue;
                oldSchedule++;
                violations.Add($"OLD-SCHEDULE RUN: {row.Job} @ {Format(row.OccurrenceAt)} (fence {row.Fence} on {row.NodeId}, started {Format(row.StartedAt)}) " +
                               $"is not an occurrence of its current definition (every {definition.PeriodSeconds} s at offset {definition.OffsetSeconds} since {Format(SettledSince(row.Job, row.OccurrenceAt))})");
            }

            // Rule 10: nothing runs by schedule for an occurrence that came due while the job was surely paused.
            var ranWhilePaused = 0;
            foreach (var (job, pauses) in _pauses)
            {
                foreach (var pause in pauses.Where(p => p.Certain))
                {
                    var from = pause.PausedBy + _input.ClaimAhead + Rounding;
                    foreach (var row in _input.Audit.Where(a => a.Job == job && !a.Manual && a.OccurrenceAt > from && a.OccurrenceAt < pause.ResumeFrom))
                    {
                        ranWhilePaused++;
                        violations.Add($"RAN WHILE PAUSED: {job} @ {Format(row.OccurrenceAt)} ran (fence {row.Fence} on {row.NodeId}, started {Format(row.StartedAt)}) " +
                                       $"although the job was paused from {Format(pause.PausedBy)} to {(pause.ResumeFrom == DateTimeOffset.MaxValue ? "the end" : Format(pause.ResumeFrom))}");
                    }
                }
            }

            // Rule 11: every trigger gives exactly one run.
            var triggerFaults = 0;
            var manual = _input.Audit.Where(a => a.Manual).GroupBy(a => (a.Job, a.OccurrenceAt)).Select(g => g.OrderBy(a => a.StartedAt).First()).ToList();
            var triggers = _actions.Where(a => a.Kind == OperatorActionKind.Trigger).ToList();
            foreach (var trigger in triggers)
            {
                var inside = manual.Where(m => m.Job == trigger.Job && m.OccurrenceAt >= trigger.From - Rounding && m.OccurrenceAt <= trigger.To + Rounding).ToList();
                if (inside.Count > 1)
                {
                    triggerFaults++;
                    violations.Add($"TRIGGER RAN TWICE: {trigger.Job} triggered at {Format(trigger.From)}..{Format(trigger.To)} ran as " +
                                   string.Join(", ", inside.Select(m => $"{Format(m.OccurrenceAt)} (fence {m.Fence} on {m.NodeId})")));
                }

                if (inside.Count > 0 || !trigger.Acknowledged) continue;
                var coalesced = manual.Any(m => m.Job == trigger.Job && m.OccurrenceAt <= trigger.To + Rounding && m.StartedAt >= trigger.From);
                // A scheduled run only happens while the job is not paused (e.g. after the resume of a paused job).
                var byScheduledRun = _input.Audit.Any(a => a.Job == trigger.Job && !a.Manual && a.StartedAt >= trigger.From + _input.ClaimAhead);
                if (coalesced || byScheduledRun) continue;
                triggerFaults++;
                violations.Add($"TRIGGER NOT RUN: {trigger.Job} triggered at {Format(trigger.From)}..{Format(trigger.To)} never ran");
            }

            foreach (var run in manual.Where(m => !triggers.Any(t => t.Job == m.Job && m.OccurrenceAt >= t.From - Rounding && m.OccurrenceAt <= t.To + Rounding)))
            {
                triggerFaults++;
                violations.Add($"MANUAL RUN WITHOUT TRIGGER: {run.Job} @ {Format(run.OccurrenceAt)} (fence {run.Fence} on {run.NodeId}) matches no trigger");
            }

            return new OperationCounts(manual.Count, oldSchedule, ranWhilePaused, triggerFaults);
        }

        private DateTimeOffset SettledSince(string job, DateTimeOffset time) =>
            _regimes.TryGetValue(job, out var regimes) && regimes.LastOrDefault(r => r.Settle < time) is { } regime
                ? regime.Settle
                : _input.WindowFrom;
    }
}
