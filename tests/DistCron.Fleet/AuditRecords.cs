namespace DistCron.Fleet;

/// <summary>A row of the audit table: a job body that started, as it recorded itself (outside DistCron's tables).</summary>
/// <param name="StartedAt">Database clock when the body recorded itself.</param>
/// <param name="Manual">A manual trigger's run: its occurrence is the trigger's request time, not a schedule slot.</param>
public sealed record AuditRow(string Job, DateTimeOffset OccurrenceAt, string NodeId, long Fence, int Attempt, DateTimeOffset StartedAt, bool Manual = false);

/// <summary>A row of DistCron's <c>runs</c> history: a fenced completion the store accepted.</summary>
/// <param name="Status">The stored status code (0 succeeded, 1 failed, 2 timed out, 3 skipped).</param>
/// <param name="FinishedAt">Database clock of the completing statement.</param>
/// <param name="Manual">A manual trigger's run (it leaves the schedule as it was).</param>
public sealed record CompletionRow(
    string Job, DateTimeOffset OccurrenceAt, int Attempt, string NodeId, long Fence, int Status,
    DateTimeOffset? StartedAt, DateTimeOffset FinishedAt, bool Manual = false);

/// <summary>What the chaos run's operator did to a job through <c>IDistCronClient</c>.</summary>
public enum OperatorActionKind
{
    Pause,
    Resume,
    Trigger,
}

/// <summary>One operator action, bracketed by database time: it took effect at some instant in [From, To].</summary>
/// <param name="From">Database time read just before the call.</param>
/// <param name="To">Database time read just after the call returned (or failed).</param>
/// <param name="Acknowledged">False when the call failed (a database outage): it may or may not have taken effect.</param>
public sealed record OperatorAction(string Job, OperatorActionKind Kind, DateTimeOffset From, DateTimeOffset To, bool Acknowledged = true);

/// <summary>
/// A rolling deploy's definition switch: the first node of <paramref name="Release"/> seeded a new schedule for
/// <paramref name="FencesAtSeen"/>'s jobs. The seed committed in [From, SeenAt].
/// </summary>
/// <param name="Release">The new release (deployment version).</param>
/// <param name="PeriodSeconds">Seconds between two occurrences of the new schedule.</param>
/// <param name="OffsetSeconds">The unix second of every occurrence, modulo <paramref name="PeriodSeconds"/>.</param>
/// <param name="From">When the first process of the new release was started (its seed cannot commit earlier).</param>
/// <param name="SeenAt">Database time just after the harness read every changed row with the new definition.</param>
/// <param name="FencesAtSeen">Per changed job, its fence in that read: every claim taken before the seed has a fence at most this.</param>
public sealed record DefinitionSwitch(int Release, int PeriodSeconds, int OffsetSeconds, DateTimeOffset From, DateTimeOffset SeenAt, IReadOnlyDictionary<string, long> FencesAtSeen);

/// <summary>What the harness did to the fleet, on the machine clock (the database runs on the same machine).</summary>
public sealed class FleetEvents
{
    private readonly object _gate = new();
    private readonly Dictionary<string, DateTimeOffset> _kills = new(StringComparer.Ordinal);
    private readonly List<(string NodeId, DateTimeOffset From, DateTimeOffset To)> _freezes = [];
    private readonly List<(DateTimeOffset From, DateTimeOffset To)> _outages = [];
    private readonly List<(string NodeId, DateTimeOffset From, DateTimeOffset To)> _stalls = [];
    private readonly List<string> _problems = [];
    private readonly List<OperatorAction> _actions = [];
    private readonly List<DefinitionSwitch> _switches = [];

    public void Killed(string nodeId, DateTimeOffset at)
    {
        lock (_gate) _kills[nodeId] = at;
    }

    public void Frozen(string nodeId, DateTimeOffset from, DateTimeOffset to)
    {
        lock (_gate) _freezes.Add((nodeId, from, to));
    }

    /// <summary>A node reported a stretch in which it could not run (CPU starvation, a blocking GC): a freeze it did not get from us.</summary>
    public void Stalled(string nodeId, DateTimeOffset from, DateTimeOffset to)
    {
        lock (_gate) _stalls.Add((nodeId, from, to));
    }

    public void DatabaseDown(DateTimeOffset from, DateTimeOffset to)
    {
        lock (_gate) _outages.Add((from, to));
    }

    public void Operated(OperatorAction action)
    {
        lock (_gate) _actions.Add(action);
    }

    public void Switched(DefinitionSwitch definitionSwitch)
    {
        lock (_gate) _switches.Add(definitionSwitch);
    }

    /// <summary>A harness-level violation: a node that crashed on its own, or hung on a graceful stop.</summary>
    public void Problem(string description)
    {
        lock (_gate) _problems.Add(description);
    }

    public IReadOnlyDictionary<string, DateTimeOffset> Kills
    {
        get { lock (_gate) return new Dictionary<string, DateTimeOffset>(_kills, StringComparer.Ordinal); }
    }

    public IReadOnlyList<(string NodeId, DateTimeOffset From, DateTimeOffset To)> Freezes
    {
        get { lock (_gate) return _freezes.ToArray(); }
    }

    public IReadOnlyList<(string NodeId, DateTimeOffset From, DateTimeOffset To)> Stalls
    {
        get { lock (_gate) return _stalls.ToArray(); }
    }

    public IReadOnlyList<(DateTimeOffset From, DateTimeOffset To)> Outages
    {
        get { lock (_gate) return _outages.ToArray(); }
    }

    public IReadOnlyList<OperatorAction> OperatorActions
    {
        get { lock (_gate) return _actions.ToArray(); }
    }

    public IReadOnlyList<DefinitionSwitch> Switches
    {
        get { lock (_gate) return _switches.ToArray(); }
    }

    public IReadOnlyList<string> Problems
    {
        get { lock (_gate) return _problems.ToArray(); }
    }
}
