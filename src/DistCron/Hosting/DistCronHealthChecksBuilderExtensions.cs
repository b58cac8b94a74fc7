using DistCron;
using DistCron.Engine;
using DistCron.Hosting;
using DistCron.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Adds DistCron's health checks to <c>services.AddHealthChecks()</c>: liveness (the loop is alive, no store call),
/// readiness (started and the store answers) and, optionally, a report of overdue or errored jobs. Each requires
/// <c>AddDistCron</c>. Map them to separate endpoints by tag (see docs/operations.md, "Health checks").
/// </summary>
public static class DistCronHealthChecksBuilderExtensions
{
    /// <summary>The tag <see cref="AddDistCronLiveness"/> gives its check unless told otherwise.</summary>
    public const string LiveTag = "live";

    /// <summary>The tag <see cref="AddDistCronReadiness"/> gives its check unless told otherwise.</summary>
    public const string ReadyTag = "ready";

    /// <summary>
    /// Liveness: fails with <paramref name="failureStatus"/> (default Unhealthy) only when this node's loop has shown
    /// no sign of life for longer than 3 × PollInterval + LeaseDuration + 6 s (the longest wait between store retries).
    /// Never calls the store: a database outage does not fail it.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="name">The check's name in the report.</param>
    /// <param name="failureStatus">What a failure reports; null for Unhealthy.</param>
    /// <param name="tags">The check's tags; null for <c>["live"]</c>.</param>
    public static IHealthChecksBuilder AddDistCronLiveness(this IHealthChecksBuilder builder, string name = "distcron-live",
        HealthStatus? failureStatus = null, IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return builder.Add(new HealthCheckRegistration(name,
            sp => new DistCronLivenessCheck(sp.GetRequiredService<NodeHealth>(), sp.GetRequiredService<IOptions<DistCronOptions>>()),
            failureStatus, tags ?? [LiveTag]));
    }

    /// <summary>
    /// Readiness: fails with <paramref name="failureStatus"/> (default Unhealthy) until this node has migrated, seeded
    /// and registered (naming the error start-up is retrying after), and whenever its store does not answer one
    /// <c>SELECT now()</c>-sized round trip within <paramref name="timeout"/> (default 700 ms, inside Kubernetes' 1 s
    /// probe timeout). Its cost does not grow with the number of jobs.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="name">The check's name in the report.</param>
    /// <param name="failureStatus">What a failure reports; null for Unhealthy.</param>
    /// <param name="tags">The check's tags; null for <c>["ready"]</c>.</param>
    /// <param name="timeout">How long the store may take to answer; null for 700 ms.</param>
    public static IHealthChecksBuilder AddDistCronReadiness(this IHealthChecksBuilder builder, string name = "distcron-ready",
        HealthStatus? failureStatus = null, IEnumerable<string>? tags = null, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var limit = Positive(timeout ?? DistCronReadinessCheck.DefaultTimeout, nameof(timeout));
        return builder.Add(new HealthCheckRegistration(name,
            sp => new DistCronReadinessCheck(sp.GetRequiredService<IJobStore>(), sp.GetRequiredService<NodeHealth>(),
                sp.GetRequiredService<IOptions<DistCronOptions>>(), limit),
            failureStatus, tags ?? [ReadyTag]));
    }

    /// <summary>
    /// Optional report, not a probe: fails with <paramref name="failureStatus"/> (default Degraded) when a job of this
    /// app is overdue by more than <paramref name="overdueThreshold"/> (default 5 minutes; due, unclaimed, not paused)
    /// or errored. It reads every job of the app, so it reads at most once per <paramref name="minInterval"/> (default
    /// 1 minute) and answers from that reading in between. Give it tags no probe maps (none by default).
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="name">The check's name in the report.</param>
    /// <param name="overdueThreshold">How late a due job may be before it is reported; null for 5 minutes.</param>
    /// <param name="failureStatus">What a failure reports; null for Degraded.</param>
    /// <param name="tags">The check's tags; null for none.</param>
    /// <param name="minInterval">The least time between two readings of the jobs; null for 1 minute.</param>
    public static IHealthChecksBuilder AddDistCronJobs(this IHealthChecksBuilder builder, string name = "distcron-jobs",
        TimeSpan? overdueThreshold = null, HealthStatus? failureStatus = null, IEnumerable<string>? tags = null, TimeSpan? minInterval = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var threshold = Positive(overdueThreshold ?? TimeSpan.FromMinutes(5), nameof(overdueThreshold));
        var interval = minInterval ?? TimeSpan.FromMinutes(1);
        if (interval < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(minInterval), interval, "The interval between readings must not be negative.");
        // One instance per container and name: the health check service asks the factory on every run, and the reading
        // it keeps between runs must survive.
        builder.Services.TryAddKeyedSingleton(name, (sp, _) => new DistCronJobsHealthCheck(sp.GetRequiredService<IJobStore>(),
            sp.GetRequiredService<IOptions<DistCronOptions>>(), threshold, interval, TimeSpan.FromSeconds(5), sp.GetService<TimeProvider>()));
        return builder.Add(new HealthCheckRegistration(name, sp => sp.GetRequiredKeyedService<DistCronJobsHealthCheck>(name),
            failureStatus ?? HealthStatus.Degraded, tags));
    }

    private static TimeSpan Positive(TimeSpan value, string parameter) =>
        value > TimeSpan.Zero ? value : throw new ArgumentOutOfRangeException(parameter, value, $"The {parameter} must be positive.");
}
