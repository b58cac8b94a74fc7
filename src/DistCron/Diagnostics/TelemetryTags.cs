namespace DistCron.Diagnostics;

/// <summary>
/// Attribute names shared by the run span and the metrics, so a job's trace and its metrics carry the same keys
/// (OpenTelemetry's conventions: namespaced under <c>distcron.</c>, plus the generic <c>error.type</c> and
/// <c>db.system.name</c>).
/// </summary>
internal static class TelemetryTags
{
    public const string JobName = "distcron.job.name";
    public const string NodeId = "distcron.node.id";
    public const string RunOccurrence = "distcron.run.occurrence";
    public const string RunAttempt = "distcron.run.attempt";
    public const string RunFence = "distcron.run.fence";
    public const string RunManual = "distcron.run.manual";
    public const string RunStatus = "distcron.run.status";

    /// <summary>Where a claim was lost: <c>before_start</c>, <c>while_running</c>, <c>at_completion</c>, <c>at_skip</c>.</summary>
    public const string ClaimStage = "distcron.claim.stage";

    /// <summary>The store call: <c>claim</c>, <c>complete</c>, <c>heartbeat</c>, <c>seed</c>, <c>prune</c>, …</summary>
    public const string StoreOperation = "distcron.store.operation";

    public const string DbSystem = "db.system.name";
    public const string ErrorType = "error.type";

    /// <summary>OpenTelemetry's <c>db.system.name</c> value for a store kind.</summary>
    public static string DbSystemOf(string storeKind) => storeKind == "postgres" ? "postgresql" : storeKind;
}
