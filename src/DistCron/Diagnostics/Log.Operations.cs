using Microsoft.Extensions.Logging;

namespace DistCron.Diagnostics;

// Event ids 40-49: operations (retention, timed pauses, health). Kept apart from the engine's ids so both can grow.
internal static partial class Log
{
    [LoggerMessage(EventId = 40, Level = LogLevel.Information, Message = "Pruned {Count} run history row(s) of app {App} (history retention)")]
    public static partial void HistoryPruned(ILogger logger, int count, string app);

    [LoggerMessage(EventId = 41, Level = LogLevel.Warning, Message = "History pruning of app {App} failed ({ExceptionType}: {ExceptionMessage}); it is retried after the next interval")]
    public static partial void HistoryPruneFailed(ILogger logger, string app, string exceptionType, string exceptionMessage);

    [LoggerMessage(EventId = 42, Level = LogLevel.Information, Message = "The timed pause of job {JobName} ended; resumed with next due {NextDueAt:o}")]
    public static partial void PauseEnded(ILogger logger, string jobName, DateTimeOffset? nextDueAt);

    [LoggerMessage(EventId = 43, Level = LogLevel.Warning, Message = "Resuming the ended timed pauses of app {App} failed ({ExceptionType}: {ExceptionMessage}); retried at the next check")]
    public static partial void PauseEndFailed(ILogger logger, string app, string exceptionType, string exceptionMessage);
}
