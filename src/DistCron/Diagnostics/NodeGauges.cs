using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using DistCron.Engine;

namespace DistCron.Diagnostics;

/// <summary>
/// What one running node's observable gauges read: when its loop last reached the store, its runs in flight, and the last success
/// it knows of each job it has code for. Written by the runner, read by the meter's collection (any thread).
/// </summary>
/// <remarks>
/// Last success per job: from the node's first claim on, every job it has code for has a value, so a job that never
/// succeeds still has a series whose age grows. The value is the later of the job's last success recorded by this node
/// and this node's first claim (the moment it began scheduling the job). Across a fleet, the job's last success is the
/// maximum over its nodes: each success is reported by the node that recorded it. A restart forgets the node's own
/// successes, so right after one the value is the restart (later than the truth): an alert fires late, never falsely.
/// A node that dies takes its series with it, which a <c>max_over_time</c> over the alert's window covers (see
/// docs/operations.md).
/// </remarks>
internal sealed class NodeGauges
{
    private readonly TimeProvider _time;
    private readonly IReadOnlyCollection<string> _jobs;
    private readonly RunSlots _slots;
    private readonly KeyValuePair<string, object?> _node;
    private readonly ConcurrentDictionary<string, double> _lastSuccess = new(StringComparer.Ordinal);
    private long _firstClaim = long.MinValue; // Unix milliseconds, database clock; MinValue: none yet
    private long _lastSeen = long.MinValue;

    public NodeGauges(string nodeId, TimeProvider time, IReadOnlyCollection<string> jobs, RunSlots slots)
    {
        _time = time;
        _jobs = jobs;
        _slots = slots;
        _node = new KeyValuePair<string, object?>(TelemetryTags.NodeId, nodeId);
    }

    /// <summary>
    /// A claim round trip succeeded, at <paramref name="databaseNow"/>. True for the first one, which starts every job's
    /// watch: the node's gauges are reported from then on.
    /// </summary>
    public bool Claimed(DateTimeOffset databaseNow)
    {
        Seen(databaseNow);
        var at = databaseNow.ToUnixTimeMilliseconds();
        if (Interlocked.CompareExchange(ref _firstClaim, at, long.MinValue) != long.MinValue) return false;
        foreach (var job in _jobs) _lastSuccess.TryAdd(job, at / 1000.0);
        return true;
    }

    /// <summary>
    /// The loop reached the store at <paramref name="databaseNow"/>: a claim, or the registration that keeps a node alive
    /// while every slot is busy and it claims nothing (a saturated node is not a silent one).
    /// </summary>
    public void Seen(DateTimeOffset databaseNow)
    {
        var at = databaseNow.ToUnixTimeMilliseconds();
        var known = Interlocked.Read(ref _lastSeen);
        while (at > known)
        {
            var found = Interlocked.CompareExchange(ref _lastSeen, at, known);
            if (found == known) return;
            known = found;
        }
    }

    /// <summary>This node recorded a success of <paramref name="job"/> at <paramref name="finishedAt"/> (database clock).</summary>
    public void Succeeded(string job, DateTimeOffset finishedAt)
    {
        var at = finishedAt.ToUnixTimeMilliseconds() / 1000.0;
        _lastSuccess.AddOrUpdate(job, at, (_, known) => Math.Max(known, at));
    }

    public IEnumerable<Measurement<double>> LastSeen()
    {
        var at = Interlocked.Read(ref _lastSeen);
        return at == long.MinValue ? [] : [new Measurement<double>(at / 1000.0, _node)];
    }

    public IEnumerable<Measurement<double>> LastSuccess() =>
        _lastSuccess.Select(kv => new Measurement<double>(kv.Value, new KeyValuePair<string, object?>(TelemetryTags.JobName, kv.Key)));

    public IEnumerable<Measurement<int>> ActiveRuns() => [new Measurement<int>(_slots.Running().Count(), _node)];

    // The oldest run names its job, so a stuck-run alert says which one.
    public IEnumerable<Measurement<double>> OldestRunAge()
    {
        RunSlots.Run? oldest = null;
        foreach (var run in _slots.Running())
        {
            if (oldest is null || run.StartedAt < oldest.StartedAt) oldest = run;
        }

        if (oldest is null) return [];
        return [new Measurement<double>(_time.GetElapsedTime(oldest.StartedAt).TotalSeconds, _node,
            new KeyValuePair<string, object?>(TelemetryTags.JobName, oldest.Name))];
    }
}
