using Microsoft.Extensions.Logging;

namespace DistCron.Diagnostics;

// Event ids 80-89: the schema as start-up finds it. Kept apart from the engine's and the stores' ids.
internal static partial class Log
{
    [LoggerMessage(EventId = 80, Level = LogLevel.Error, Message = "DistCron node {NodeId} cannot start: {Reason}")]
    public static partial void SchemaNotReady(ILogger logger, string nodeId, string reason);
}
