using System.Globalization;

namespace DistCron.Sample.Jobs;

/// <summary>A traffic summary, written once per occurrence whichever node runs it.</summary>
public sealed class ReportJobs(SitePaths paths)
{
    // Every 20 seconds for the demo. In production this would be "0 6 * * *" with TimeZone = "Europe/Paris":
    // 06:00 Paris time every day, DST included.
    [DistributedCron("*/20 * * * * *", Name = "reports.traffic-summary", Misfire = MisfirePolicy.RunOnce)]
    public async Task WriteTrafficSummaryAsync(JobContext context, CancellationToken cancellationToken)
    {
        // The file is named after the OCCURRENCE, not the wall clock: a retry or a late run rewrites the same report.
        var file = Path.Combine(paths.Reports, $"traffic-{context.ScheduledFor.UtcDateTime:yyyyMMdd-HHmmss}.csv");
        var visits = 1000 + (int)(context.ScheduledFor.ToUnixTimeSeconds() % 977);
        await File.WriteAllTextAsync(file,
            string.Create(CultureInfo.InvariantCulture, $"occurrence,visits,node\n{context.ScheduledFor:O},{visits},{context.NodeId}\n"),
            cancellationToken);
        RunLog.Ran(context, $"{Path.GetFileName(file)} ({visits} visits)");
    }
}
