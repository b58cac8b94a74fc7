using DistCron.Engine;
using DistCron.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace DistCron.Hosting;

/// <summary>
/// Health of this DistCron node: Unhealthy when the store is unreachable or this node's loop has stalled (no round for
/// longer than 3 × PollInterval + LeaseDuration); Degraded when jobs are overdue beyond a threshold (due, unclaimed,
/// not paused) or errored. Costs two short reads.
/// </summary>
internal sealed class DistCronHealthCheck : IHealthCheck
{
    private static readonly TimeSpan StoreTimeout = TimeSpan.FromSeconds(5);

    private readonly IJobStore _store;
    private readonly NodeHealth _node;
    private readonly DistCronOptions _options;
    private readonly TimeSpan _overdueThreshold;

    public DistCronHealthCheck(IJobStore store, NodeHealth node, IOptions<DistCronOptions> options, TimeSpan overdueThreshold)
    {
        _store = store;
        _node = node;
        _options = options.Value;
        _overdueThreshold = overdueThreshold;
    }

    /// <summary>The longest a healthy loop goes without a round: its longest sleep three times over, plus a lease.</summary>
    internal TimeSpan StallLimit => _options.PollInterval * 3 + _options.LeaseDuration;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = new Dictionary<string, object> { ["store"] = _store.Kind, ["app"] = _options.App };
        var silent = _node.SinceLastIteration;
        if (!_node.HasNoJobs && silent > StallLimit)
        {
            var what = _node.Started ? "the DistCron loop has not gone round" : "the DistCron node has not finished starting (migrate, seed, register)";
            var error = _node.CurrentStoreError is { } e ? $"; last store error: {e}" : string.Empty;
            return HealthCheckResult.Unhealthy($"{what} for {silent:g} (limit {StallLimit:g}){error}.", data: data);
        }

        DateTimeOffset now;
        IReadOnlyList<JobRow> jobs;
        try
        {
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            limit.CancelAfter(StoreTimeout);
            now = await _store.GetDatabaseTimeAsync(limit.Token).ConfigureAwait(false);
            jobs = await _store.ListJobsAsync(_options.App, limit.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // Type and message only: stores never put connection details in messages, and no exception object is
            // attached, so a health endpoint cannot leak a stack trace or inner connection text.
            return HealthCheckResult.Unhealthy($"The DistCron {_store.Kind} store is unreachable: {ex.GetType().Name}: {EngineContext.Describe(ex)}", data: data);
        }

        var overdue = jobs.Where(j => !j.Paused && !j.Orphaned && j.Error is null && j.NextDueAt is { } due && now - due > _overdueThreshold
                                      && (j.OwnerNode is null || j.LeaseUntil is null || j.LeaseUntil <= now))
            .Select(j => j.Name).ToArray();
        var errored = jobs.Where(j => j.Error is not null).Select(j => j.Name).ToArray();
        data["jobs"] = jobs.Count;
        if (overdue.Length == 0 && errored.Length == 0) return HealthCheckResult.Healthy($"{jobs.Count} job(s); none overdue or errored.", data);

        data["overdue"] = overdue;
        data["errored"] = errored;
        var parts = new List<string>();
        if (overdue.Length > 0) parts.Add($"{overdue.Length} job(s) overdue by more than {_overdueThreshold:g}: {Names(overdue)}");
        if (errored.Length > 0) parts.Add($"{errored.Length} job(s) errored (never run until redeployed with a valid definition): {Names(errored)}");
        return HealthCheckResult.Degraded(string.Join("; ", parts) + ".", data: data);
    }

    private static string Names(string[] names) => names.Length <= 10 ? string.Join(", ", names) : string.Join(", ", names.Take(10)) + ", …";
}
