namespace DistCron.Sample.Jobs;

/// <summary>Pushes changed pages to an external search service that sometimes fails: retried by DistCron.</summary>
public static class SearchIndexJobs
{
    // Every 5 seconds; a failed run is retried twice, 1 s then 2 s later (the delay doubles), before the job moves
    // on to its next occurrence.
    [DistributedCron("*/5 * * * * *", Name = "search.sync-index", MaxRetries = 2, RetryDelay = "00:00:01")]
    public static async Task SyncAsync(JobContext context, CancellationToken cancellationToken)
    {
        await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken); // the HTTP call

        // Deterministic "flakiness" for the demo: the first attempt of every third occurrence fails.
        if (context.Attempt == 1 && context.ScheduledFor.ToUnixTimeSeconds() / 5 % 3 == 0)
        {
            RunLog.Failed(context, "search service answered 503, DistCron will retry");
            throw new HttpRequestException("Search service unavailable (503).");
        }

        RunLog.Ran(context, "index in sync");
    }
}
