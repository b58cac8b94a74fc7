using Microsoft.Extensions.Logging;

namespace DistCron.Diagnostics;

// Event ids 60-69: shutdown. Event 17 (the shutdown timeout reached) stays the engine's.
internal static partial class Log
{
    [LoggerMessage(EventId = 60, Level = LogLevel.Warning, Message = "Job {JobName} occurrence {OccurrenceAt:o} (fence {Fence}) was still running at the shutdown deadline; its token is cancelled. If it stops, its claim is released and another node runs the occurrence at once; otherwise its lease holds until {LeaseUntil:o}")]
    public static partial void StillRunningAtDeadline(ILogger logger, string jobName, DateTimeOffset occurrenceAt, long fence, DateTimeOffset leaseUntil);

    [LoggerMessage(EventId = 61, Level = LogLevel.Error, Message = "Job {JobName} occurrence {OccurrenceAt:o} (fence {Fence}) ignored its cancelled token for {WaitedMs} ms and is abandoned at shutdown: its lease is no longer renewed and holds until {LeaseUntil:o}, when another node runs the occurrence again")]
    public static partial void AbandonedAtShutdown(ILogger logger, string jobName, DateTimeOffset occurrenceAt, long fence, long waitedMs, DateTimeOffset leaseUntil);

    [LoggerMessage(EventId = 62, Level = LogLevel.Warning, Message = "The host's HostOptions.ShutdownTimeout ({HostTimeoutMs} ms) is shorter than DistCron's stop can take ({NeededMs} ms: ShutdownTimeout {ShutdownTimeoutMs} ms, then {CancelWaitMs} ms for cancelled jobs to release their claims, then the final writes): jobs still running would be cut off when the host stops waiting. Set HostOptions.ShutdownTimeout to at least {NeededMs} ms (and Kubernetes' terminationGracePeriodSeconds above it), or lower DistCron's ShutdownTimeout{Largest}")]
    public static partial void HostShutdownTooShort(ILogger logger, long hostTimeoutMs, long neededMs, long shutdownTimeoutMs, long cancelWaitMs, string largest);

    [LoggerMessage(EventId = 63, Level = LogLevel.Warning, Message = "The host stopped waiting for DistCron (HostOptions.ShutdownTimeout) before DistCron's ShutdownTimeout of {ShutdownTimeoutMs} ms, with {Count} job(s) still running; cancelling them now, and their claims are released only if they stop before the process exits")]
    public static partial void HostStoppedWaiting(ILogger logger, long shutdownTimeoutMs, int count);
}
