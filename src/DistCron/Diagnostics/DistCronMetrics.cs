using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace DistCron.Diagnostics;

/// <summary>
/// Metrics of the <c>DistCron</c> meter, named and attributed after OpenTelemetry's semantic conventions: durations in
/// seconds, attributes shared with the run span (<see cref="TelemetryTags"/>). Uses <see cref="IMeterFactory"/> when the
/// host provides one (so meters are scoped to the container), else a process-wide meter. docs/operations.md lists every
/// instrument (a test keeps the list equal to this class).
/// </summary>
internal sealed class DistCronMetrics : IDisposable
{
    public const string MeterName = "DistCron";

    // Job methods run from milliseconds to a day: the default buckets end at 10 s, where every long job would land in
    // the overflow bucket and its percentiles would be unknowable.
    internal static readonly double[] RunDurationBuckets =
        [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400, 43200, 86400];

    // Lag is normally well under a second (claims ahead of due time); the upper buckets show a saturated or stalled fleet.
    internal static readonly double[] StartLagBuckets =
        [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900];

    // One statement each; the upper buckets catch lock waits and driver timeouts (SQLite's busy timeout is 30 s).
    internal static readonly double[] StoreOperationBuckets =
        [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Counter<long> _claims;
    private readonly Counter<long> _lostClaims;
    private readonly Counter<long> _runs;
    private readonly Counter<long> _failures;
    private readonly Histogram<double> _duration;
    private readonly Histogram<double> _startLag;
    private readonly Histogram<double> _storeDuration;
    private readonly Counter<long> _storeErrors;
    private readonly Counter<long> _heartbeatFailures;
    private readonly Counter<long> _pruned;
    private volatile NodeGauges? _node;

    public DistCronMetrics(IMeterFactory? meterFactory)
    {
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _claims = _meter.CreateCounter<long>("distcron.claims", "{claim}", "Jobs claimed by this node.");
        _lostClaims = _meter.CreateCounter<long>("distcron.claims.lost", "{claim}", "Claims lost to another node or to an expired lease, by stage.");
        _runs = _meter.CreateCounter<long>("distcron.runs", "{run}", "Runs recorded by this node, by job and status.");
        _failures = _meter.CreateCounter<long>("distcron.run.failures", "{run}", "Runs recorded as failed or timed out, by job and error type.");
        _duration = Histogram("distcron.run.duration", "How long job methods ran.", RunDurationBuckets);
        _startLag = Histogram("distcron.run.start_lag", "Delay from the due time to the job method's entry (database clock).", StartLagBuckets);
        _storeDuration = Histogram("distcron.store.operation.duration", "Duration of the engine's store calls, by operation; failed calls carry error.type.", StoreOperationBuckets);
        _storeErrors = _meter.CreateCounter<long>("distcron.store.operation.errors", "{error}", "Store calls of the engine that failed, by operation and error type.");
        _heartbeatFailures = _meter.CreateCounter<long>("distcron.heartbeat.failures", "{heartbeat}", "Lease renewals that failed or went unanswered, by job.");
        _pruned = _meter.CreateCounter<long>("distcron.history.pruned", "{row}", "History rows deleted by this node's retention.");
        _meter.CreateObservableGauge("distcron.node.last_seen", () => _node?.LastSeen() ?? [], "s",
            "When this node's loop last reached the store: a claim, or the registration of a node whose slots are all busy (Unix time, database clock).");
        _meter.CreateObservableGauge("distcron.runs.active", () => _node?.ActiveRuns() ?? [], "{run}",
            "Runs holding a slot on this node (their job method running or about to).");
        _meter.CreateObservableGauge("distcron.runs.oldest.age", () => _node?.OldestRunAge() ?? [], "s",
            "How long the oldest run holding a slot on this node has held it, with its job.");
        _meter.CreateObservableGauge("distcron.job.last_success", () => _node?.LastSuccess() ?? [], "s",
            "The last success this node knows of, per job it has code for (Unix time, database clock); see docs/operations.md.");
    }

    // Bucket advice reaches OpenTelemetry from net9 on (InstrumentAdvice); on net8.0 the same boundaries are documented
    // as a View in docs/operations.md.
    private Histogram<double> Histogram(string name, string description, double[] buckets)
    {
#if NET9_0_OR_GREATER
        return _meter.CreateHistogram(name, "s", description, tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = buckets });
#else
        return _meter.CreateHistogram<double>(name, "s", description);
#endif
    }

    /// <summary>Reports <paramref name="node"/>'s gauges from now on (one node per container).</summary>
    public void Watch(NodeGauges node) => _node = node;

    /// <summary>This node's registration reached the store (see <see cref="NodeGauges.Seen"/>).</summary>
    public void NodeSeen(DateTimeOffset databaseNow) => _node?.Seen(databaseNow);

    /// <summary>Stops reporting <paramref name="node"/>'s gauges: it stopped.</summary>
    public void Unwatch(NodeGauges node) => Interlocked.CompareExchange(ref _node, null, node);

    public void Claimed(string job) => _claims.Add(1, new KeyValuePair<string, object?>(TelemetryTags.JobName, job));

    /// <param name="job">The job.</param>
    /// <param name="stage">Where it was lost, in words ("while running"); reported as snake case.</param>
    public void LostClaim(string job, string stage) => _lostClaims.Add(1,
        new KeyValuePair<string, object?>(TelemetryTags.JobName, job),
        new KeyValuePair<string, object?>(TelemetryTags.ClaimStage, stage.Replace(' ', '_')));

    public void StartLag(string job, TimeSpan lag) =>
        _startLag.Record(Math.Max(0, lag.TotalSeconds), new KeyValuePair<string, object?>(TelemetryTags.JobName, job));

    /// <param name="job">The job.</param>
    /// <param name="status">The recorded status.</param>
    /// <param name="duration">How long the method ran; null when it did not run (skipped).</param>
    /// <param name="errorType">The failure's type (an exception's full name); null for a success or a skip.</param>
    public void Completed(string job, string status, TimeSpan? duration, string? errorType)
    {
        var tags = new TagList { { TelemetryTags.JobName, job }, { TelemetryTags.RunStatus, status } };
        _runs.Add(1, tags);
        if (duration is { } d) _duration.Record(d.TotalSeconds, tags);
        if (errorType is not null)
        {
            tags.Add(TelemetryTags.ErrorType, errorType);
            _failures.Add(1, tags);
        }
    }

    /// <summary>One store call of the engine ended, after <paramref name="elapsed"/>; <paramref name="error"/> when it threw.</summary>
    public void StoreOperation(string dbSystem, string operation, TimeSpan elapsed, Exception? error)
    {
        var tags = new TagList { { TelemetryTags.StoreOperation, operation }, { TelemetryTags.DbSystem, dbSystem } };
        if (error is not null)
        {
            tags.Add(TelemetryTags.ErrorType, error.GetType().FullName);
            _storeErrors.Add(1, tags);
        }

        _storeDuration.Record(elapsed.TotalSeconds, tags);
    }

    public void HeartbeatFailed(string job, string errorType) => _heartbeatFailures.Add(1,
        new KeyValuePair<string, object?>(TelemetryTags.JobName, job),
        new KeyValuePair<string, object?>(TelemetryTags.ErrorType, errorType));

    public void Pruned(int rows)
    {
        if (rows > 0) _pruned.Add(rows);
    }

    // A factory-created meter belongs to (and is cached by) the factory.
    public void Dispose()
    {
        if (_ownsMeter) _meter.Dispose();
    }
}

/// <summary>The <c>DistCron</c> activity source: one span per run.</summary>
internal static class DistCronActivity
{
    public static readonly ActivitySource Source = new("DistCron");
}
