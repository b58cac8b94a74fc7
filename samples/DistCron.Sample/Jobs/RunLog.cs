namespace DistCron.Sample.Jobs;

/// <summary>
/// Every job prints exactly one line per run in this shape, so a multi-node run shows who ran which occurrence:
/// <c>[node] job @ occurrence (attempt n) detail</c>. The launcher parses it (see <see cref="RunLine"/>).
/// </summary>
public static class RunLog
{
    private static readonly object Gate = new();

    public static void Ran(JobContext context, string detail) => Write(context, "ok", detail);

    public static void Failed(JobContext context, string detail) => Write(context, "FAILED", detail);

    private static void Write(JobContext context, string outcome, string detail)
    {
        var line = $"[{context.NodeId}] {context.JobName} @ {context.ScheduledFor.UtcDateTime:HH:mm:ss} (attempt {context.Attempt}) {outcome}: {detail}";
        lock (Gate) Console.WriteLine(line);
    }
}
