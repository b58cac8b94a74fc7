using Microsoft.Extensions.Logging;

namespace DistCron.Diagnostics;

// Event ids 90-99: the deployment's configuration of jobs (overrides, disabled jobs, definitions nodes disagree on).
internal static partial class Log
{
    [LoggerMessage(EventId = 90, Level = LogLevel.Information, Message = "Job {JobName} runs with configuration overrides: schedule {Schedule} in {TimeZone} (set by {Keys})")]
    public static partial void JobOverridden(ILogger logger, string jobName, string schedule, string timeZone, string keys);

    [LoggerMessage(EventId = 91, Level = LogLevel.Information, Message = "Job {JobName} is disabled by configuration ({Keys}): it is registered but never run")]
    public static partial void JobDisabled(ILogger logger, string jobName, string keys);

    [LoggerMessage(EventId = 92, Level = LogLevel.Warning, Message = "DistCron nodes of one deployment version disagree on a definition: {Conflict}")]
    public static partial void DefinitionConflict(ILogger logger, string conflict);
}
