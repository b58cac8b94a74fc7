using System.Globalization;

namespace DistCron.TestNode;

/// <summary>
/// What every test job does: record the run in the audit table, print one line, then "work" for a random while so
/// that a SIGKILL or SIGSTOP from the harness often lands in the middle of a run.
/// </summary>
public sealed class RunBody(AuditWriter audit, NodeArguments arguments)
{
    public async ValueTask RunAsync(JobContext context, CancellationToken cancellationToken)
    {
        await audit.RecordAsync(context, cancellationToken);
        Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"run job={context.JobName} occurrence={context.ScheduledFor.UtcDateTime:yyyy-MM-ddTHH:mm:ss.fffZ} node={context.NodeId} fence={context.FencingToken} attempt={context.Attempt}"));
        var work = arguments.MinWork + (arguments.MaxWork - arguments.MinWork) * Random.Shared.NextDouble();
        await Task.Delay(work, cancellationToken);
    }
}
