namespace DistCron.Fleet;

/// <summary>A row of the audit table: a job body that started, as it recorded itself (outside DistCron's tables).</summary>
/// <param name="StartedAt">Database clock when the body recorded itself.</param>
public sealed record AuditRow(string Job, DateTimeOffset OccurrenceAt, string NodeId, long Fence, int Attempt, DateTimeOffset StartedAt);

/// <summary>A row of DistCron's <c>runs</c> history: a fenced completion the store accepted.</summary>
/// <param name="Status">The stored status code (0 succeeded, 1 failed, 2 timed out, 3 skipped).</param>
/// <param name="FinishedAt">Database clock of the completing statement.</param>
public sealed record CompletionRow(
    string Job, DateTimeOffset OccurrenceAt, int Attempt, string NodeId, long Fence, int Status,
    DateTimeOffset? StartedAt, DateTimeOffset FinishedAt);

/// <summary>What the harness did to the fleet, on the machine clock (the database runs on the same machine).</summary>
public sealed class FleetEvents
{
    private readonly object _gate = new();
    private readonly Dictionary<string, DateTimeOffset> _kills = new(StringComparer.Ordinal);
    private readonly List<(string NodeId, DateTimeOffset From, DateTimeOffset To)> _freezes = [];
    private readonly List<(DateTimeOffset From, DateTimeOffset To)> _outages = [];
    private readonly List<string> _problems = [];

    public void Killed(string nodeId, DateTimeOffset at)
    {
        lock (_gate) _kills[nodeId] = at;
    }

    public void Frozen(string nodeId, DateTimeOffset from, DateTimeOffset to)
    {
        lock (_gate) _freezes.Add((nodeId, from, to));
    }

    public void DatabaseDown(DateTimeOffset from, DateTimeOffset to)
    {
        lock (_gate) _outages.Add((from, to));
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

    public IReadOnlyList<(DateTimeOffset From, DateTimeOffset To)> Outages
    {
        get { lock (_gate) return _outages.ToArray(); }
    }

    public IReadOnlyList<string> Problems
    {
        get { lock (_gate) return _problems.ToArray(); }
    }
}
