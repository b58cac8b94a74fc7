using Microsoft.Extensions.Logging;

namespace DistCron.Diagnostics;

// Event ids 40-49: operations (retention, health). Kept apart from the engine's ids so both can grow.
internal static partial class Log
{
    [LoggerMessage(EventId = 40, Level = LogLevel.Information, Message = "Pruned {Count} run history row(s) of app {App} (history retention)")]
    public static partial void HistoryPruned(ILogger logger, int count, string app);

    [LoggerMessage(EventId = 41, Level = LogLevel.Warning, Message = "History pruning of app {App} failed ({ExceptionType}: {ExceptionMessage}); it is retried after the next interval")]
    public static partial void HistoryPruneFailed(ILogger logger, string app, string exceptionType, string exceptionMessage);
}
