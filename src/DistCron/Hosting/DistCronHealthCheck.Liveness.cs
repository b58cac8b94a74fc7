using DistCron.Engine;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace DistCron.Hosting;

/// <summary>
/// Liveness: this node's loop is alive. Reads only the node's own state, never the store, so a database outage (during
/// which the loop keeps retrying) never fails it and an orchestrator never restarts a fleet for the database's sake.
/// Fails when the loop has shown no sign of life for longer than <see cref="StallLimit"/>: a restart is then the cure.
/// </summary>
internal sealed class DistCronLivenessCheck : IHealthCheck
{
    // The loop waits between store attempts during an outage: an outage must not read as a stall.
    private static readonly TimeSpan LongestStoreBackoff = Backoff.LongestStoreDelay;

    private readonly NodeHealth _node;
    private readonly DistCronOptions _options;

    public DistCronLivenessCheck(NodeHealth node, IOptions<DistCronOptions> options)
    {
        _node = node;
        _options = options.Value;
    }

    /// <summary>
    /// The longest a live loop goes without a sign of life: its longest sleep three times over, plus a claim that waits
    /// a whole lease before it gives up, plus the longest wait between store attempts during an outage.
    /// </summary>
    internal TimeSpan StallLimit => _options.PollInterval * 3 + _options.LeaseDuration + LongestStoreBackoff;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = new Dictionary<string, object> { ["app"] = _options.App, ["started"] = _node.Started };
        if (_node.HasNoJobs) return Task.FromResult(HealthCheckResult.Healthy("This node has no DistCron jobs: there is no loop to watch.", data));

        var silent = _node.SinceLastSignOfLife;
        if (silent > StallLimit)
        {
            var what = _node.Started ? "the DistCron loop has not gone round" : "the DistCron start-up (migrate, seed, register) has not made progress";
            return Task.FromResult(DistCronHealthCheck.Failure(context, $"{what} for {silent:g} (limit {StallLimit:g}).", data));
        }

        // Still live while the store is unreachable or start-up keeps failing: readiness reports those.
        var description = _node.CurrentStoreError is null
            ? "The DistCron loop is alive."
            : "The DistCron loop is alive and retrying the store.";
        return Task.FromResult(HealthCheckResult.Healthy(description, data));
    }
}
