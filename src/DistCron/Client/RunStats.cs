namespace DistCron;

// What the dashboard's run statistics read: the app's activity over the last hour and a job's recent durations.
// Counted in the database (one statement each); only the bounded results cross the wire.

/// <summary>
/// How many runs of the app finished in each slice of a recent window, by the database clock. A run is a history row
/// that ran (succeeded, failed or timed out); an occurrence skipped by its misfire policy is not a run. A failure is a
/// run that failed or timed out.
/// </summary>
/// <param name="From">The window's start (excluded): the database's now minus the window.</param>
/// <param name="To">The window's end (included): the database's now when the counts were read.</param>
/// <param name="BucketWidth">The width of each bucket.</param>
/// <param name="Buckets">Every bucket of the window, oldest first, empty ones included.</param>
public sealed record RunActivity(DateTimeOffset From, DateTimeOffset To, TimeSpan BucketWidth, IReadOnlyList<RunActivityBucket> Buckets)
{
    /// <summary>The dashboard's window: the last hour in one-minute buckets.</summary>
    public static readonly TimeSpan DefaultBucketWidth = TimeSpan.FromMinutes(1);

    /// <summary>The number of buckets of the dashboard's window.</summary>
    public const int DefaultBucketCount = 60;

    /// <summary>Runs finished in the window.</summary>
    public int Runs => Buckets.Sum(b => b.Runs);

    /// <summary>Runs of the window that failed or timed out.</summary>
    public int Failures => Buckets.Sum(b => b.Failures);

    /// <summary>
    /// The window ending at <paramref name="now"/>, one bucket per slice whether or not the database counted a run in
    /// it. Bucket i holds the runs finished in (now − window + i × width, now − window + (i + 1) × width]; counts for
    /// buckets outside the window are a store defect and throw.
    /// </summary>
    internal static RunActivity FromCounts(DateTimeOffset now, TimeSpan bucketWidth, int bucketCount, IEnumerable<(int Bucket, int Runs, int Failures)> counts)
    {
        var runs = new int[bucketCount];
        var failures = new int[bucketCount];
        foreach (var (bucket, run, failed) in counts)
        {
            if (bucket < 0 || bucket >= bucketCount) throw new InvalidOperationException($"The store counted runs in bucket {bucket}, outside the window's {bucketCount} buckets.");
            runs[bucket] += run;
            failures[bucket] += failed;
        }

        var from = now - (bucketWidth * bucketCount);
        var buckets = new RunActivityBucket[bucketCount];
        for (var i = 0; i < bucketCount; i++) buckets[i] = new RunActivityBucket(from + (bucketWidth * i), from + (bucketWidth * (i + 1)), runs[i], failures[i]);
        return new RunActivity(from, now, bucketWidth, buckets);
    }
}

/// <summary>One slice of a <see cref="RunActivity"/> window: runs finished after <paramref name="Start"/> and at or before <paramref name="End"/>.</summary>
public sealed record RunActivityBucket(DateTimeOffset Start, DateTimeOffset End, int Runs, int Failures);

/// <summary>One finished run of a job, as the duration statistics read it.</summary>
public sealed record RecentRun(long Id, RunStatus Status, DateTimeOffset FinishedAt, TimeSpan Duration)
{
    /// <summary>The run failed or timed out.</summary>
    public bool IsFailure => Status is RunStatus.Failed or RunStatus.TimedOut;
}

/// <summary>
/// The durations of a job's last runs (succeeded, failed and timed-out runs; skipped occurrences did not run), with
/// nearest-rank percentiles: the p-th percentile of n runs is the duration at rank ⌈p × n / 100⌉ in ascending order, always one of the durations.
/// </summary>
/// <param name="Window">How many of the last runs were asked for (N).</param>
/// <param name="Runs">The runs read, newest first: at most <paramref name="Window"/>, fewer when the job has fewer.</param>
public sealed record DurationStats(int Window, IReadOnlyList<RecentRun> Runs)
{
    /// <summary>The dashboard's window: the last 100 runs.</summary>
    public const int DefaultWindow = 100;

    /// <summary>The median duration of <see cref="Runs"/> by nearest rank; null when there is none.</summary>
    public TimeSpan? P50 { get; } = NearestRank.Percentile(Runs.Select(r => r.Duration).ToList(), 50);

    /// <summary>The 95th percentile duration of <see cref="Runs"/> by nearest rank; null when there is none.</summary>
    public TimeSpan? P95 { get; } = NearestRank.Percentile(Runs.Select(r => r.Duration).ToList(), 95);
}
