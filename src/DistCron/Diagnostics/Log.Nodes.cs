using Microsoft.Extensions.Logging;

namespace DistCron.Diagnostics;

// Event ids 50-59: what kind of node this is. Kept apart from the engine's and the operations' ids so all can grow.
internal static partial class Log
{
    [LoggerMessage(EventId = 50, Level = LogLevel.Information, Message = "DistCron node {NodeId} of app {App} does not run jobs (RunsJobs = false): it seeded and registered its {JobCount} job definition(s) but never claims; every occurrence runs on the nodes that run jobs")]
    public static partial void NodeDoesNotRunJobs(ILogger logger, string nodeId, string app, int jobCount);
}
