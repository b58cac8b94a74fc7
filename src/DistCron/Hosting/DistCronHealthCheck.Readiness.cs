using DistCron.Engine;
using DistCron.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace DistCron.Hosting;

/// <summary>
/// Readiness: this node finished starting (migrated, seeded, registered) and its store answers now. One round trip
/// that reads the database clock, whatever the number of jobs, abandoned after <see cref="Timeout"/> so the probe
/// answers inside an orchestrator's probe timeout even when the database hangs. Until start-up succeeds the check
/// fails with the reason start-up is retrying (e.g. a missing or outdated schema with <c>AutoMigrate = false</c>).
/// </summary>
internal sealed class DistCronReadinessCheck : IHealthCheck
{
    /// <summary>Below Kubernetes' default probe timeout of 1 s, with room for the endpoint's own work.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMilliseconds(700);

    private readonly IJobStore _store;
    private readonly NodeHealth _node;
    private readonly DistCronOptions _options;

    public DistCronReadinessCheck(IJobStore store, NodeHealth node, IOptions<DistCronOptions> options, TimeSpan timeout)
    {
        _store = store;
        _node = node;
        _options = options.Value;
        Timeout = timeout;
    }

    /// <summary>How long the store may take to answer before the check fails.</summary>
    public TimeSpan Timeout { get; }

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = new Dictionary<string, object> { ["store"] = _store.Kind, ["app"] = _options.App, ["started"] = _node.Started, ["runsJobs"] = _options.RunsJobs };
        if (_node.HasNoJobs) return HealthCheckResult.Healthy("This node has no DistCron jobs: nothing to start.", data);
        if (!_node.Started)
        {
            var reason = _node.CurrentStoreError is { } error ? $"start-up is retrying after: {error}" : "start-up is under way";
            return DistCronHealthCheck.Failure(context, $"The DistCron node has not finished starting (migrate, seed, register): {reason}.", data);
        }

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(Timeout);
        try
        {
            // WaitAsync as well as the token: a driver that ignores cancellation while it waits (a busy SQLite file,
            // a TCP connect) must not hold the probe past its timeout.
            await _store.GetDatabaseTimeAsync(limit.Token).WaitAsync(Timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            var why = ex is TimeoutException or OperationCanceledException
                ? $"did not answer within {Timeout.TotalMilliseconds:0} ms"
                : $"is unreachable: {DistCronHealthCheck.Describe(ex)}";
            return DistCronHealthCheck.Failure(context, $"The DistCron {_store.Kind} store {why}.", data);
        }

        // Ready all the same: a node that does not run jobs serves what it was started for; the jobs it leaves to
        // others show as overdue in the jobs check when no node runs them.
        return _options.RunsJobs
            ? HealthCheckResult.Healthy($"The DistCron node started and its {_store.Kind} store answers.", data)
            : HealthCheckResult.Healthy($"The DistCron node started and its {_store.Kind} store answers; it does not run jobs (RunsJobs = false): its jobs run only on nodes that do.", data);
    }
}
