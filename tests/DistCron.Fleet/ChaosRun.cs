using System.Globalization;

namespace DistCron.Fleet;

/// <summary>What a chaos run does.</summary>
/// <param name="Store">The shared database.</param>
/// <param name="Nodes">Node processes (at least 2: one is always left healthy).</param>
/// <param name="Jobs">Every-second jobs (plus the two generated ones).</param>
/// <param name="Duration">Length of the audited chaos window.</param>
/// <param name="WorkDirectory">Node logs go to WorkDirectory/logs.</param>
/// <param name="Seed">Seeds every random choice, so a failing run can be replayed.</param>
/// <param name="Database">PostgreSQL only: how to restart the server and take it down; null for SQLite.</param>
public sealed record ChaosOptions(
    FleetStore Store,
    int Nodes,
    int Jobs,
    TimeSpan Duration,
    string WorkDirectory,
    int Seed,
    PostgresControl? Database)
{
    public TimeSpan Lease { get; init; } = TimeSpan.FromSeconds(4);
    public TimeSpan Heartbeat { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan Poll { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Short, so that kills and outages produce real misfires and RunOnce has something to collapse.</summary>
    public TimeSpan MisfireThreshold { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Largest application clock offset; nodes 1 and 2 get +max and -max, the others random values within.</summary>
    public TimeSpan MaxClockSkew { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Seconds between two kills, drawn uniformly.</summary>
    public (double Min, double Max) KillEverySeconds { get; init; } = (4, 9);

    /// <summary>Seconds between two freezes, drawn uniformly.</summary>
    public (double Min, double Max) FreezeEverySeconds { get; init; } = (12, 20);

    /// <summary>How long an outage keeps PostgreSQL down (longer than the misfire threshold, so slots misfire).</summary>
    public TimeSpan OutageLength { get; init; } = TimeSpan.FromSeconds(6);

    /// <summary>
    /// Rolling deploys during the window (null: one a minute, at least 2). Each starts the next release on every slot
    /// in turn (SIGTERM the old node, start one of the new release, wait until it is ready); releases alternate the
    /// every-second jobs between every second and every 2 s, so each deploy changes their definition.
    /// </summary>
    public int? Redeploys { get; init; }

    /// <summary>Seconds between two operator actions (pause, resume, trigger), drawn uniformly; null: no operator.</summary>
    public (double Min, double Max)? OperatorEverySeconds { get; init; } = (0.8, 2.5);

    /// <summary>
    /// How long each run works, in milliseconds. Long enough that a rolling deploy's seed, a pause or a resume often
    /// lands while the runs of that second are in flight (they all come due on the same instant).
    /// </summary>
    public (int Min, int Max) Work { get; init; } = (100, 950);

    /// <summary>Progress lines (null: silent).</summary>
    public TextWriter? Log { get; init; }
}

/// <summary>
/// The chaos run: a fleet of node processes with many every-second jobs, while the harness SIGKILLs random
/// nodes (mostly mid-run, since every run works 100-950 ms) and restarts them, restarts PostgreSQL (immediate mode)
/// and takes it down for longer than the misfire threshold, runs nodes whose application clocks are off by up to
/// ±10 minutes, and freezes nodes (SIGSTOP) for longer than the lease before thawing them (SIGCONT) — then audits
/// with <see cref="FleetAudit"/>. At least two nodes (one when the fleet has two, during a rollout, or when a kill has
/// waited a whole kill interval for a third healthy node) stay healthy (running jobs) at any time, so the fleet as a whole is always able to run every job. Meanwhile rolling deploys switch the every-second jobs between
/// two releases' schedules (<see cref="RollingDeploy"/>) and an operator pauses, resumes and triggers jobs through
/// IDistCronClient (<see cref="ChaosOperator"/>), each recorded for the audit (rules 9-11).
/// </summary>
public static class ChaosRun
{
    public static async Task<AuditReport> RunAsync(ChaosOptions options, CancellationToken cancellationToken)
    {
        if (options.Nodes < 2) throw new ArgumentException("A chaos run needs at least 2 nodes: one is always left healthy.");
        var random = new Random(options.Seed);
        var app = "chaos" + options.Seed.ToString(CultureInfo.InvariantCulture);
        var skews = Enumerable.Range(0, options.Nodes).Select(slot => slot switch
        {
            0 => TimeSpan.Zero,
            1 => options.MaxClockSkew,
            2 => -options.MaxClockSkew,
            _ => options.MaxClockSkew * (random.NextDouble() * 2 - 1),
        }).ToArray();
        var fleetOptions = new FleetOptions(options.Store, app, options.Nodes, options.Jobs, options.Lease, options.Heartbeat,
            options.Poll, options.MisfireThreshold, Path.Combine(options.WorkDirectory, "logs"), skews) { Release = 1, Work = options.Work };

        await using var fleet = new Fleet(fleetOptions);
        Say(options, $"starting {options.Nodes} nodes x {options.Jobs} jobs on {options.Store.Kind} (seed {options.Seed}, logs in {fleetOptions.LogDirectory}); " +
                     $"clock skews: {string.Join(", ", skews.Select(s => s.TotalSeconds.ToString("+0;-0;0", CultureInfo.InvariantCulture) + "s"))}");
        await fleet.StartAsync(cancellationToken);
        var windowFrom = DateTimeOffset.UtcNow.AddSeconds(1);
        var windowTo = windowFrom + options.Duration;
        Say(options, $"all {fleet.JobNames.Count} jobs running; chaos for {options.Duration.TotalSeconds:0} s");
        await using var client = options.Store.CreateClient(app);
        var log = (string line) => Say(options, line);
        var release = 1;
        var deploys = PlanDeploys(options, windowFrom);
        RollingDeploy? deploy = null;

        var minHealthy = Math.Max(1, Math.Min(2, options.Nodes - 1));
        var restarts = new List<(int Slot, DateTimeOffset At)>();
        var thaws = new List<(int Slot, DateTimeOffset At, DateTimeOffset FrozenAt)>();
        var outages = PlanOutages(options, windowFrom);
        Task outage = Task.CompletedTask;
        var nextKill = windowFrom + Seconds(random, options.KillEverySeconds);
        // The first freeze comes a few seconds in, before the first kill or rollout: a freeze needs every node healthy
        // (running jobs), which kills, restarts and rollouts rarely leave for long, and a run without a freeze proves
        // nothing about zombies.
        var nextFreeze = windowFrom + Seconds(random, (2, Math.Min(options.KillEverySeconds.Min, options.FreezeEverySeconds.Min)));
        var reportedCrashes = new HashSet<TestNodeProcess>();
        DateTimeOffset? killDueSince = null;
        using var operatorStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var operatorRun = options.OperatorEverySeconds is { } every
            ? new ChaosOperator(client, fleet.JobNames, fleet.Events, new Random(random.Next()), every, log)
                .RunAsync(() => outage.IsCompleted, operatorStop.Token)
            : Task.CompletedTask;

        while (DateTimeOffset.UtcNow < windowTo)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var now = DateTimeOffset.UtcNow;

            foreach (var due in restarts.Where(r => r.At <= now).ToArray())
            {
                restarts.Remove(due);
                if (fleet[due.Slot] is not null) continue; // a rolling deploy filled it meanwhile
                var node = fleet.StartSlot(due.Slot);
                Say(options, $"restarted slot {due.Slot} as {node.NodeId}");
            }

            foreach (var due in thaws.Where(t => t.At <= now).ToArray())
            {
                thaws.Remove(due);
                Thaw(fleet, due.Slot, due.FrozenAt, options);
            }

            foreach (var crashed in fleet.Crashed().Where(reportedCrashes.Add))
            {
                fleet.Events.Problem($"node {crashed.NodeId} exited on its own with code {crashed.ExitCode}; see {crashed.LogPath}\n{crashed.Tail(15)}");
                var slot = SlotOf(fleet, crashed);
                if (slot >= 0) restarts.Add((slot, now));
            }

            // An action that finds too few healthy nodes is retried a second later, not skipped for a whole interval.
            // While a rolling deploy replaces a node, one healthy node is enough: chaos goes on through deploys.
            var keepHealthy = deploy is null ? minHealthy : 1;
            if (now >= nextKill)
            {
                nextKill = now + TimeSpan.FromSeconds(1);
                killDueSince ??= now;
                // On a loaded machine a killed node takes long to restart and run again, so "more than two healthy"
                // can stay false for most of a short window and the run would prove little about kills. A kill
                // overdue by a whole interval settles for keeping one node healthy, as rollouts do.
                var keepForKill = now - killDueSince.Value > TimeSpan.FromSeconds(options.KillEverySeconds.Max) ? 1 : keepHealthy;
                if (HealthySlots(fleet, keepForKill) is { Length: > 0 } candidates)
                {
                    killDueSince = null;
                    nextKill = now + Seconds(random, options.KillEverySeconds);
                    // Two kills in three are aimed at the middle of a run; the others land anywhere (claim, complete, idle).
                    var (slot, aimed) = random.Next(3) > 0
                        ? await FirstToStartARunAsync(fleet, candidates, random)
                        : (candidates[random.Next(candidates.Length)], false);
                    if (fleet.TryKill(slot) is not { } killed) continue; // a rolling deploy is stopping it
                    var restartIn = TimeSpan.FromSeconds(0.5 + random.NextDouble() * 2.5);
                    restarts.Add((slot, DateTimeOffset.UtcNow + restartIn));
                    Say(options, $"SIGKILL {killed.NodeId} {(aimed ? "mid-run" : "at a random point")} after {killed.RunLines} runs; restart in {restartIn.TotalSeconds:0.0} s");
                }
            }

            // No freeze that the end of the window would cut short: the zombie must outlive its lease.
            if (now >= nextFreeze && now + options.Lease + TimeSpan.FromSeconds(4) < windowTo)
            {
                nextFreeze = now + TimeSpan.FromSeconds(1);
                if (HealthySlots(fleet, keepHealthy) is { Length: > 0 } candidates)
                {
                    nextFreeze = now + Seconds(random, options.FreezeEverySeconds);
                    // A zombie is only interesting when it wakes up inside a run.
                    var (slot, aimed) = await FirstToStartARunAsync(fleet, candidates, random);
                    var freezeFor = options.Lease + TimeSpan.FromSeconds(1.5 + random.NextDouble() * 2);
                    var frozenAt = DateTimeOffset.UtcNow;
                    if (fleet.TryFreeze(slot) is not { } node) continue; // a rolling deploy is stopping it
                    thaws.Add((slot, frozenAt + freezeFor, frozenAt));
                    Say(options, $"SIGSTOP {node.NodeId} {(aimed ? "mid-run " : string.Empty)}for {freezeFor.TotalSeconds:0.0} s (lease {options.Lease.TotalSeconds:0} s)");
                }
            }

            if (outage.IsCompleted && outages.Count > 0 && outages[0].At <= now)
            {
                await outage; // surfaces a failed restart
                var (_, immediateRestart) = outages[0];
                outages.RemoveAt(0);
                outage = DatabaseDownAsync(fleet, options, immediateRestart, cancellationToken);
            }

            deploy?.Step();
            if (deploy is { Done: true })
            {
                await deploy.Switch; // surfaces a harness failure
                Say(options, $"rolling deploy of release {release} done");
                deploy = null;
            }

            // On a slow machine a rollout can outlast its share of the window; the next release then takes over.
            if ((deploy is null || deploy.Supersedable) && deploys.Count > 0 && deploys[0] <= now)
            {
                if (deploy is not null) Say(options, $"release {release + 1} supersedes the rollout of release {release}");
                deploys.RemoveAt(0);
                deploy = new RollingDeploy(fleet, client, ++release, log, cancellationToken);
            }

            await Task.Delay(100, cancellationToken);
        }

        // Heal: the window is over; let everything catch up with every node healthy, then stop gracefully.
        await operatorStop.CancelAsync();
        await operatorRun; // resumes every job it left paused
        await outage;
        foreach (var (slot, _, frozenAt) in thaws) Thaw(fleet, slot, frozenAt, options);
        thaws.Clear();
        while (deploy is { Done: false })
        {
            // The rollout under way finishes (no more chaos now); dead slots restart with their release.
            foreach (var (slot, _) in restarts.Where(r => fleet[r.Slot] is null)) fleet.StartSlot(slot);
            restarts.Clear();
            deploy.Step();
            await Task.Delay(100, cancellationToken);
        }

        if (deploy is not null) await deploy.Switch;
        foreach (var (slot, _, frozenAt) in thaws) Thaw(fleet, slot, frozenAt, options);
        foreach (var (slot, _) in restarts.Where(r => fleet[r.Slot] is null)) fleet.StartSlot(slot);
        var cooldown = options.Lease + options.Poll + TimeSpan.FromSeconds(4);
        Say(options, $"window closed; cooling down {cooldown.TotalSeconds:0} s, then SIGTERM to every node");
        await Task.Delay(cooldown, cancellationToken);
        foreach (var crashed in fleet.Crashed().Where(reportedCrashes.Add))
        {
            fleet.Events.Problem($"node {crashed.NodeId} exited on its own with code {crashed.ExitCode}; see {crashed.LogPath}\n{crashed.Tail(15)}");
        }

        await fleet.StopAllAsync();
        var report = await AuditAsync(fleet, windowFrom, windowTo, cancellationToken);
        return await WithDurabilityCheckAsync(options, report, cancellationToken);
    }

    // A run that restarts the server is audited only on a server that keeps every commit through a crash: otherwise
    // the audit's lost/phantom verdicts would be the server's doing. Checked when the audit starts; the problem is
    // printed and fails the run.
    private static async Task<AuditReport> WithDurabilityCheckAsync(ChaosOptions options, AuditReport report, CancellationToken cancellationToken)
    {
        if (options.Database is null) return report;
        var problems = await options.Store.ReadDurabilityProblemsAsync(cancellationToken);
        foreach (var problem in problems) Say(options, "SERVER NOT CRASH-SAFE: " + problem);
        return problems.Count == 0 ? report : report with { Violations = [.. problems.Select(p => "SERVER: " + p), .. report.Violations] };
    }

    /// <summary>Reads the audit table and the runs history and applies <see cref="FleetAudit"/>, adding harness problems.</summary>
    public static async Task<AuditReport> AuditAsync(Fleet fleet, DateTimeOffset windowFrom, DateTimeOffset windowTo, CancellationToken cancellationToken)
    {
        var options = fleet.Options;
        var audit = await options.Store.ReadAuditAsync(options.App, cancellationToken);
        var completions = await options.Store.ReadCompletionsAsync(options.App, cancellationToken);
        var report = FleetAudit.Evaluate(new AuditInput(fleet.JobNames, windowFrom, windowTo, audit, completions, fleet.Events,
            options.Lease, options.Poll, options.MisfireThreshold)
        {
            // The engine's claim-ahead (EngineContext.ClaimAhead) for these settings.
            ClaimAhead = Min(TimeSpan.FromMilliseconds(100), Min(options.Poll / 4, options.Lease / 10)),
        });
        var problems = fleet.Events.Problems;
        return problems.Count == 0 ? report : report with { Violations = [.. problems.Select(p => "NODE: " + p), .. report.Violations] };
    }

    // Two outages at 30 % and 65 % of the window: first a crash restart (pg_ctl restart -m immediate), then a stop
    // that lasts longer than the misfire threshold. Only when the store is a PostgreSQL server we control.
    private static List<(DateTimeOffset At, bool ImmediateRestart)> PlanOutages(ChaosOptions options, DateTimeOffset windowFrom) =>
        options.Database is null
            ? []
            : [(windowFrom + options.Duration * 0.30, true), (windowFrom + options.Duration * 0.65, false)];

    // Deploys spread over the window, 30 % into each share of it: the first kill and the first freeze come before the
    // first rollout, which leaves fewer healthy nodes to impair for as long as its new nodes take to start.
    private static List<DateTimeOffset> PlanDeploys(ChaosOptions options, DateTimeOffset windowFrom)
    {
        var count = options.Redeploys ?? Math.Max(2, (int)(options.Duration.TotalSeconds / 60));
        return Enumerable.Range(0, count).Select(k => windowFrom + options.Duration * ((k + 0.3) / count)).ToList();
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a <= b ? a : b;

    private static async Task DatabaseDownAsync(Fleet fleet, ChaosOptions options, bool immediateRestart, CancellationToken cancellationToken)
    {
        var from = DateTimeOffset.UtcNow;
        if (immediateRestart)
        {
            Say(options, "pg_ctl restart -m immediate");
            await options.Database!.RestartImmediateAsync(cancellationToken);
        }
        else
        {
            Say(options, $"PostgreSQL down for {options.OutageLength.TotalSeconds:0} s");
            await options.Database!.OutageAsync(options.OutageLength, cancellationToken);
        }

        var to = DateTimeOffset.UtcNow;
        fleet.Events.DatabaseDown(from, to);
        Say(options, $"PostgreSQL back after {(to - from).TotalSeconds:0.0} s");
    }

    private static void Thaw(Fleet fleet, int slot, DateTimeOffset frozenAt, ChaosOptions options)
    {
        var node = fleet[slot];
        if (node is null || !node.IsFrozen) return;
        node.Thaw();
        fleet.Events.Frozen(node.NodeId, frozenAt, DateTimeOffset.UtcNow);
        Say(options, $"SIGCONT {node.NodeId}");
    }

    // Healthy nodes (running jobs, not frozen) that may be impaired: only while more than minHealthy are healthy.
    private static int[] HealthySlots(Fleet fleet, int minHealthy)
    {
        var healthy = Enumerable.Range(0, fleet.Count).Where(s => fleet[s] is { IsHealthy: true }).ToArray();
        return healthy.Length > minHealthy ? healthy : [];
    }

    // The candidate that starts a run first (it is then inside that run for 100-300 ms); a random one, not aimed,
    // when none starts a run within two seconds.
    private static async Task<(int Slot, bool Aimed)> FirstToStartARunAsync(Fleet fleet, int[] candidates, Random random)
    {
        // A slot a rolling deploy emptied meanwhile never "starts a run".
        var nextRuns = candidates.Select(s => fleet[s]?.NextRun ?? new TaskCompletionSource().Task).ToArray();
        try
        {
            var started = await Task.WhenAny(nextRuns).WaitAsync(TimeSpan.FromSeconds(2));
            return (candidates[Array.IndexOf(nextRuns, started)], true);
        }
        catch (TimeoutException)
        {
            return (candidates[random.Next(candidates.Length)], false);
        }
    }

    private static int SlotOf(Fleet fleet, TestNodeProcess node) =>
        Enumerable.Range(0, fleet.Count).FirstOrDefault(s => ReferenceEquals(fleet[s], node), -1);

    private static TimeSpan Seconds(Random random, (double Min, double Max) range) =>
        TimeSpan.FromSeconds(range.Min + random.NextDouble() * (range.Max - range.Min));

    private static void Say(ChaosOptions options, string line) =>
        options.Log?.WriteLine($"{DateTimeOffset.UtcNow:HH:mm:ss.fff} {line}");
}
