using DistCron.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace DistCron.Hosting;

/// <summary>
/// Optional report of the app's jobs: fails (Degraded by default) when a job is overdue beyond a threshold (due,
/// unclaimed, not paused) or errored. Not a probe: it reads every job of the app, so it reads at most once per
/// <see cref="MinInterval"/> and answers from that reading in between, whatever the probe rate.
/// </summary>
internal sealed class DistCronJobsHealthCheck : IHealthCheck
{
    private readonly IJobStore _store;
    private readonly DistCronOptions _options;
    private readonly TimeSpan _overdueThreshold;
    private readonly TimeSpan _timeout;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _reading = new(1, 1);
    private (long At, HealthCheckResult Result)? _last;

    public DistCronJobsHealthCheck(IJobStore store, IOptions<DistCronOptions> options, TimeSpan overdueThreshold, TimeSpan minInterval,
        TimeSpan timeout, TimeProvider? time = null)
    {
        _store = store;
        _options = options.Value;
        _overdueThreshold = overdueThreshold;
        MinInterval = minInterval;
        _timeout = timeout;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The least time between two readings of the jobs.</summary>
    public TimeSpan MinInterval { get; }

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        await _reading.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_last is { } last && _time.GetElapsedTime(last.At) < MinInterval) return last.Result;
            var result = await ReadAsync(context, cancellationToken).ConfigureAwait(false);
            _last = (_time.GetTimestamp(), result);
            return result;
        }
        finally
        {
            _reading.Release();
        }
    }

    private async Task<HealthCheckResult> ReadAsync(HealthCheckContext context, CancellationToken cancellationToken)
    {
        var data = new Dictionary<string, object> { ["store"] = _store.Kind, ["app"] = _options.App };
        DateTimeOffset now;
        IReadOnlyList<JobRow> jobs;
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(_timeout);
        try
        {
            now = await _store.GetDatabaseTimeAsync(limit.Token).WaitAsync(_timeout, cancellationToken).ConfigureAwait(false);
            jobs = await _store.ListJobsAsync(_options.App, limit.Token).WaitAsync(_timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            return DistCronHealthCheck.Failure(context, $"The DistCron jobs could not be read from the {_store.Kind} store: {DistCronHealthCheck.Describe(ex)}", data);
        }

        var overdue = jobs.Where(j => !j.Paused && !j.Orphaned && j.Error is null && j.NextDueAt is { } due && now - due > _overdueThreshold
                                      && (j.OwnerNode is null || j.LeaseUntil is null || j.LeaseUntil <= now))
            .Select(j => j.Name).ToArray();
        var errored = jobs.Where(j => j.Error is not null).Select(j => j.Name).ToArray();
        var conflicts = Conflicts(jobs);
        data["jobs"] = jobs.Count;
        if (overdue.Length == 0 && errored.Length == 0 && conflicts.Count == 0) return HealthCheckResult.Healthy($"{jobs.Count} job(s); none overdue or errored.", data);

        data["overdue"] = overdue;
        data["errored"] = errored;
        data["conflicting"] = conflicts.Select(c => c.JobName).ToArray();
        var parts = new List<string>();
        if (overdue.Length > 0) parts.Add($"{overdue.Length} job(s) overdue by more than {_overdueThreshold:g}: {Names(overdue)}");
        if (errored.Length > 0) parts.Add($"{errored.Length} job(s) errored (never run until redeployed with a valid definition): {Names(errored)}");
        if (conflicts.Count > 0) parts.Add($"{conflicts.Count} job(s) defined differently by nodes of the same deployment version: {string.Join("; ", conflicts.Take(3).Select(c => c.Describe()))}");
        return DistCronHealthCheck.Failure(context, string.Join("; ", parts) + ".", data);
    }

    // This node's definitions against the stored ones (see DefinitionConflicts); none when its jobs cannot be resolved,
    // which start-up validation reports.
    private IReadOnlyList<Configuration.DefinitionConflicts.Conflict> Conflicts(IReadOnlyList<JobRow> rows)
    {
        if (_options.DeploymentVersion is null) return [];
        try
        {
            var mine = _options.ResolveJobs().Where(j => j?.Name is not null).GroupBy(j => j.Name, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
            return Configuration.DefinitionConflicts.Find(mine, rows, _options.DeploymentVersion);
        }
        catch (InvalidOperationException)
        {
            return [];
        }
    }

    private static string Names(string[] names) => names.Length <= 10 ? string.Join(", ", names) : string.Join(", ", names.Take(10)) + ", …";
}
