using DistCron.Engine;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace DistCron.Hosting;

/// <summary>What DistCron's health checks share: the status a failure reports, and how a store error is described.</summary>
internal static class DistCronHealthCheck
{
    /// <summary>
    /// The status a failing check reports: the registration's <c>failureStatus</c> (Unhealthy unless the app chose
    /// otherwise, e.g. Degraded for a check that must not take a pod out of service).
    /// </summary>
    public static HealthCheckResult Failure(HealthCheckContext context, string description, IReadOnlyDictionary<string, object> data) =>
        new(context.Registration?.FailureStatus ?? HealthStatus.Unhealthy, description, exception: null, data);

    // Type and message only: stores never put connection details in messages, and no exception object is attached, so
    // a health endpoint cannot leak a stack trace or inner connection text.
    public static string Describe(Exception ex) => $"{ex.GetType().Name}: {EngineContext.Describe(ex)}";
}
