namespace DistCron.Sample.Jobs;

/// <summary>Housekeeping: scratch files older than a limit are removed.</summary>
public static class MaintenanceJobs
{
    private static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(30);

    // A static job taking a service: DistCron resolves SitePaths from DI for each run.
    [DistributedCron("*/15 * * * * *", Name = "maintenance.clean-temp-files")]
    public static void CleanTempFiles(SitePaths paths, JobContext context)
    {
        var cutoff = DateTime.UtcNow - MaxAge;
        var removed = 0;
        foreach (var file in new DirectoryInfo(paths.Temp).EnumerateFiles())
        {
            if (file.LastWriteTimeUtc >= cutoff) continue;
            try
            {
                file.Delete();
                removed++;
            }
            catch (IOException)
            {
                // Still in use: the next run gets it.
            }
        }

        RunLog.Ran(context, $"removed {removed} temp file(s) older than {MaxAge.TotalSeconds:0} s");
    }
}
