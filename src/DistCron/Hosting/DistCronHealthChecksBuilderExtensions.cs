using DistCron;
using DistCron.Engine;
using DistCron.Hosting;
using DistCron.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds DistCron's health check: <c>services.AddHealthChecks().AddDistCron()</c>.</summary>
public static class DistCronHealthChecksBuilderExtensions
{
    /// <summary>
    /// Checks this node: Unhealthy when the store is unreachable or the loop has stalled (no round for longer than
    /// 3 × PollInterval + LeaseDuration); Degraded when a job is overdue by more than <paramref name="overdueThreshold"/>
    /// (default 5 minutes) or errored. Requires <c>AddDistCron</c>.
    /// </summary>
    public static IHealthChecksBuilder AddDistCron(this IHealthChecksBuilder builder, string name = "distcron", TimeSpan? overdueThreshold = null,
        HealthStatus? failureStatus = null, IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var threshold = overdueThreshold ?? TimeSpan.FromMinutes(5);
        if (threshold <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(overdueThreshold), threshold, "The overdue threshold must be positive.");
        return builder.Add(new HealthCheckRegistration(name,
            sp => new DistCronHealthCheck(sp.GetRequiredService<IJobStore>(), sp.GetRequiredService<NodeHealth>(),
                sp.GetRequiredService<IOptions<DistCronOptions>>(), threshold),
            failureStatus, tags));
    }
}
