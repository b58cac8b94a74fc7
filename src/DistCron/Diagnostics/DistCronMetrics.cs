using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace DistCron.Diagnostics;

/// <summary>
/// Metrics of the <c>DistCron</c> meter. Uses <see cref="IMeterFactory"/> when the host provides one (so meters are
/// scoped to the container), else a process-wide meter.
/// </summary>
internal sealed class DistCronMetrics : IDisposable
{
    public const string MeterName = "DistCron";

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Counter<long> _runs;
    private readonly Counter<long> _failures;
    private readonly Counter<long> _lostClaims;
    private readonly Counter<long> _claims;
    private readonly Histogram<double> _duration;
    private readonly Histogram<double> _startLag;

    public DistCronMetrics(IMeterFactory? meterFactory)
    {
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _runs = _meter.CreateCounter<long>("distcron.runs", "{run}", "Runs completed by this node, by job and status.");
        _failures = _meter.CreateCounter<long>("distcron.run.failures", "{run}", "Runs that failed or timed out.");
        _lostClaims = _meter.CreateCounter<long>("distcron.claims.lost", "{claim}", "Claims lost to another node or to an expired lease.");
        _claims = _meter.CreateCounter<long>("distcron.claims", "{claim}", "Jobs claimed by this node.");
        _duration = _meter.CreateHistogram<double>("distcron.run.duration", "ms", "How long job methods ran.");
        _startLag = _meter.CreateHistogram<double>("distcron.run.start_lag", "ms", "Delay from the due time to the job method's entry (database clock).");
    }

    public void Claimed(string job) => _claims.Add(1, new KeyValuePair<string, object?>("job", job));

    public void LostClaim(string job) => _lostClaims.Add(1, new KeyValuePair<string, object?>("job", job));

    public void StartLag(string job, TimeSpan lag) => _startLag.Record(Math.Max(0, lag.TotalMilliseconds), new KeyValuePair<string, object?>("job", job));

    public void Completed(string job, string status, TimeSpan? duration, bool failed)
    {
        var tags = new TagList { { "job", job }, { "status", status } };
        _runs.Add(1, tags);
        if (failed) _failures.Add(1, tags);
        if (duration is { } d) _duration.Record(d.TotalMilliseconds, tags);
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
