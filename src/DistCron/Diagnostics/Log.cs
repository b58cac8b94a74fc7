using Microsoft.Extensions.Logging;

namespace DistCron.Diagnostics;

/// <summary>The engine's log lines, source-generated, with stable event ids. No message carries connection details.</summary>
/// <remarks>
/// Event ids are unique across the assembly, so a filter or an alert on an id means one message: 1-39 the engine (here),
/// 40-49 operations (Log.Operations.cs), 50-59 nodes (Log.Nodes.cs), 60-69 shutdown (Log.Shutdown.cs), 80-89 the schema
/// (Log.Schema.cs), 90-99 configuration (Log.Configuration.cs), 1001-1199 the PostgreSQL store, 2001-2099 the SQLite store.
/// </remarks>
internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "DistCron node {NodeId} started for app '{App}' with {JobCount} job(s) on the {StoreKind} store")]
    public static partial void NodeStarted(ILogger logger, string nodeId, string app, int jobCount, string storeKind);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "DistCron node {NodeId} stopped")]
    public static partial void NodeStopped(ILogger logger, string nodeId);

    [LoggerMessage(EventId = 3, Level = LogLevel.Debug, Message = "Claimed job {JobName} occurrence {OccurrenceAt:o} attempt {Attempt} (fence {Fence})")]
    public static partial void Claimed(ILogger logger, string jobName, DateTimeOffset occurrenceAt, int attempt, long fence);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "Lost the claim on job {JobName} (fence {Fence}) {Stage}: another node owns it now or the lease could not be kept; this run is not recorded by this node")]
    public static partial void LostClaim(ILogger logger, string jobName, long fence, string stage);

    [LoggerMessage(EventId = 5, Level = LogLevel.Debug, Message = "Job {JobName} started for occurrence {OccurrenceAt:o} attempt {Attempt}")]
    public static partial void RunStarted(ILogger logger, string jobName, DateTimeOffset occurrenceAt, int attempt);

    [LoggerMessage(EventId = 6, Level = LogLevel.Debug, Message = "Job {JobName} succeeded in {DurationMs} ms; next due {NextDueAt:o}")]
    public static partial void RunSucceeded(ILogger logger, string jobName, long durationMs, DateTimeOffset? nextDueAt);

    [LoggerMessage(EventId = 7, Level = LogLevel.Error, Message = "Job {JobName} {Status} after {DurationMs} ms (attempt {Attempt}); next due {NextDueAt:o} attempt {NextAttempt}")]
    public static partial void RunFailed(ILogger logger, Exception? exception, string jobName, string status, long durationMs, int attempt, DateTimeOffset? nextDueAt, int nextAttempt);

    [LoggerMessage(EventId = 8, Level = LogLevel.Warning, Message = "Job {JobName} misfired: occurrence {OccurrenceAt:o} was due at {DueAt:o}, more than {ThresholdMs} ms ago; skipped by policy, next due {NextDueAt:o}")]
    public static partial void MisfireSkipped(ILogger logger, string jobName, DateTimeOffset occurrenceAt, DateTimeOffset dueAt, long thresholdMs, DateTimeOffset? nextDueAt);

    [LoggerMessage(EventId = 9, Level = LogLevel.Information, Message = "Job {JobName} misfired: occurrence {OccurrenceAt:o} was due at {DueAt:o}; running it once to catch up")]
    public static partial void MisfireCatchUp(ILogger logger, string jobName, DateTimeOffset occurrenceAt, DateTimeOffset dueAt);

    [LoggerMessage(EventId = 10, Level = LogLevel.Error, Message = "Job {JobName} is marked errored and will not run until redeployed with a valid definition: {Reason}")]
    public static partial void RowErrored(ILogger logger, string jobName, string reason);

    [LoggerMessage(EventId = 11, Level = LogLevel.Warning, Message = "The DistCron {StoreKind} store is unavailable during {Operation} ({ExceptionType}: {ExceptionMessage}); retrying in {DelayMs} ms")]
    public static partial void StoreUnavailable(ILogger logger, string storeKind, string operation, string exceptionType, string exceptionMessage, long delayMs);

    [LoggerMessage(EventId = 12, Level = LogLevel.Information, Message = "The DistCron {StoreKind} store is available again")]
    public static partial void StoreRecovered(ILogger logger, string storeKind);

    [LoggerMessage(EventId = 13, Level = LogLevel.Warning, Message = "Heartbeat for job {JobName} (fence {Fence}) failed ({ExceptionType}: {ExceptionMessage}); retrying while the lease lasts")]
    public static partial void HeartbeatFailed(ILogger logger, string jobName, long fence, string exceptionType, string exceptionMessage);

    [LoggerMessage(EventId = 14, Level = LogLevel.Error, Message = "Job {JobName} did not stop within {GraceMs} ms after its timeout was cancelled; it is recorded as timed out and abandoned (its task keeps a slot until it ends)")]
    public static partial void RunAbandoned(ILogger logger, string jobName, long graceMs);

    [LoggerMessage(EventId = 15, Level = LogLevel.Information, Message = "Job {JobName} was interrupted by shutdown; its claim is released so the occurrence runs again on another node")]
    public static partial void RunInterrupted(ILogger logger, string jobName);

    [LoggerMessage(EventId = 16, Level = LogLevel.Debug, Message = "Released the unstarted claim on job {JobName} (fence {Fence})")]
    public static partial void Released(ILogger logger, string jobName, long fence);

    [LoggerMessage(EventId = 17, Level = LogLevel.Warning, Message = "Shutdown timeout of {TimeoutMs} ms reached with {Count} job(s) still running; cancelling them")]
    public static partial void ShutdownTimeoutReached(ILogger logger, long timeoutMs, int count);

    [LoggerMessage(EventId = 18, Level = LogLevel.Error, Message = "Could not record the outcome of job {JobName} (fence {Fence}) ({ExceptionType}: {ExceptionMessage}); its lease will expire and the occurrence will run again")]
    public static partial void CompletionFailed(ILogger logger, string jobName, long fence, string exceptionType, string exceptionMessage);

    [LoggerMessage(EventId = 19, Level = LogLevel.Warning, Message = "Claimed job {JobName} has no definition in this process (another deployment's job?); releasing it, and this node will not claim it again")]
    public static partial void UnknownJob(ILogger logger, string jobName);
}
