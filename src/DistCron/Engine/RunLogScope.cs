using DistCron.Storage;
using Microsoft.Extensions.Logging;

namespace DistCron.Engine;

/// <summary>
/// The log scope around each run's handling: the job, the occurrence and the fence, so every line logged while the run
/// is handled carries them, the job's own lines included (scopes flow with the run, and every logger of the host's
/// factory shares them).
/// </summary>
internal static class RunLogScope
{
    private static readonly Func<ILogger, string, DateTimeOffset, long, IDisposable?> Scope =
        LoggerMessage.DefineScope<string, DateTimeOffset, long>("DistCron job {JobName} occurrence {OccurrenceAt:o} fence {Fence}");

    public static IDisposable? Begin(ILogger logger, ClaimedJob claim) =>
        Scope(logger, claim.Token.JobName, claim.OccurrenceAt, claim.Token.Fence);
}
