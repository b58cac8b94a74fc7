namespace DistCron.Storage;

/// <summary>
/// The rules of the store contract that do not depend on the SQL dialect, in one place: argument checks (every store
/// rejects the same input with the same message, before it touches the database) and the history pruning sequence.
/// Each store keeps only its statements. Error text has its own rule: <see cref="ErrorText"/>.
/// </summary>
internal static class StoreRules
{
    internal static void Seed(string app, IReadOnlyList<SeedJob> jobs)
    {
        SqlNames.ValidateApp(app);
        ArgumentNullException.ThrowIfNull(jobs);
        foreach (var job in jobs)
        {
            ArgumentNullException.ThrowIfNull(job, nameof(jobs));
            JobName(job.Name);
        }

        // One upsert cannot touch a row twice: a duplicate gets a clear message instead of a SQL error (PostgreSQL) or
        // a silent last-wins (SQLite).
        var duplicate = jobs.GroupBy(j => j.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"The seed batch contains the job name '{duplicate.Key}' more than once.", nameof(jobs));
    }

    internal static void Register(NodeInfo node, TimeSpan liveWindow)
    {
        ArgumentNullException.ThrowIfNull(node);
        SqlNames.ValidateApp(node.App);
        ArgumentException.ThrowIfNullOrEmpty(node.NodeId, nameof(node));
        if (liveWindow <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(liveWindow), liveWindow, "The live window must be positive.");
    }

    internal static void Node(string app, string nodeId)
    {
        SqlNames.ValidateApp(app);
        ArgumentException.ThrowIfNullOrEmpty(nodeId);
    }

    internal static void Claim(ClaimRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        Node(request.App, request.NodeId);
        if (request.MaxJobs < 1) throw new ArgumentOutOfRangeException(nameof(request), request.MaxJobs, "A claim must ask for at least one job.");
        Lease(request.Lease);
        if (request.NodeLiveWindow <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(request), request.NodeLiveWindow, "The live window must be positive.");
        if (request.Ahead < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(request), request.Ahead, "Ahead must not be negative.");
    }

    internal static void Lease(TimeSpan lease)
    {
        if (lease <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(lease), lease, "The lease must be positive.");
    }

    internal static void Completions(IReadOnlyList<Completion> completions)
    {
        ArgumentNullException.ThrowIfNull(completions);
        foreach (var completion in completions) ArgumentNullException.ThrowIfNull(completion, nameof(completions));
    }

    internal static void Reason(string reason) => ArgumentException.ThrowIfNullOrEmpty(reason);

    internal static void Job(string app, string jobName)
    {
        SqlNames.ValidateApp(app);
        JobName(jobName);
    }

    internal static void History(string app, string? jobName, HistoryQuery query)
    {
        SqlNames.ValidateApp(app);
        if (jobName is not null) JobName(jobName);
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
    }

    /// <summary>Checks a page query of the app's jobs; returns its decoded cursor (null: the first page).</summary>
    internal static (long? Key, string Name)? JobPage(string app, JobPageQuery query)
    {
        SqlNames.ValidateApp(app);
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
        return query.After is { } after ? JobCursor.Decode(after, query.Sort) : null;
    }

    internal static void JobCounts(string app, TimeSpan overdueAfter)
    {
        SqlNames.ValidateApp(app);
        ArgumentOutOfRangeException.ThrowIfLessThan(overdueAfter, TimeSpan.Zero);
    }

    internal static void RunActivity(string app, TimeSpan bucketWidth, int bucketCount)
    {
        SqlNames.ValidateApp(app);
        // Whole seconds: both dialects count in whole milliseconds, and a window finer than a second has no use.
        if (bucketWidth < TimeSpan.FromSeconds(1) || bucketWidth.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(bucketWidth), bucketWidth, "The bucket width must be a whole number of seconds, at least one.");
        }

        if (bucketCount is < 1 or > MaxActivityBuckets) throw new ArgumentOutOfRangeException(nameof(bucketCount), bucketCount, $"The bucket count must be between 1 and {MaxActivityBuckets}.");
        if (bucketWidth * bucketCount > TimeSpan.FromDays(31)) throw new ArgumentOutOfRangeException(nameof(bucketCount), bucketCount, "The activity window (bucket width × count) must not exceed 31 days.");
    }

    /// <summary>The most buckets one activity read returns (a day of minutes).</summary>
    internal const int MaxActivityBuckets = 1440;

    internal static void RecentRuns(string app, string jobName, int count)
    {
        Job(app, jobName);
        if (count is < 1 or > HistoryQuery.MaxLimit) throw new ArgumentOutOfRangeException(nameof(count), count, $"The number of recent runs must be between 1 and {HistoryQuery.MaxLimit}.");
    }

    internal static void Prune(string app, TimeSpan? maxAge, int? keepPerJob, int batchSize)
    {
        SqlNames.ValidateApp(app);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        if (maxAge is { } age && age <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(maxAge), maxAge, "The history age limit must be positive, or null for none.");
        if (keepPerJob is < 1) throw new ArgumentOutOfRangeException(nameof(keepPerJob), keepPerJob, "The runs kept per job must be at least 1, or null for no limit.");
    }

    internal static void Wait(string app, TimeSpan timeout)
    {
        SqlNames.ValidateApp(app);
        if (timeout < TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "The wait must be zero or more, or Timeout.InfiniteTimeSpan.");
        }
    }

    private static void JobName(string jobName) => ArgumentException.ThrowIfNullOrEmpty(jobName);

    /// <summary>
    /// The pruning sequence every store follows (<see cref="IJobStore.PruneHistoryAsync"/>): first the age rule, then
    /// the per-job count rule job by job, each in batches of at most <paramref name="batchSize"/> rows, every batch its
    /// own short statement so running jobs never wait long on it. A batch that deletes fewer rows than asked ends its rule.
    /// </summary>
    /// <param name="maxAge">Rows finished longer ago are deleted; null: no age rule.</param>
    /// <param name="keepPerJob">Rows kept per job, newest first; null: no count rule.</param>
    /// <param name="batchSize">Most rows one statement deletes.</param>
    /// <param name="deleteOlderThan">Deletes one batch of the app's rows finished longer than the age ago.</param>
    /// <param name="jobNames">The job names that have history.</param>
    /// <param name="deleteBeyond">Deletes one batch of a job's rows older than its keep-th newest.</param>
    internal static async Task<int> PruneAsync(TimeSpan? maxAge, int? keepPerJob, int batchSize,
        Func<TimeSpan, Task<int>> deleteOlderThan, Func<Task<IReadOnlyList<string>>> jobNames, Func<string, int, Task<int>> deleteBeyond)
    {
        var deleted = 0;
        if (maxAge is { } age) deleted += await InBatchesAsync(() => deleteOlderThan(age), batchSize).ConfigureAwait(false);
        if (keepPerJob is { } keep)
        {
            foreach (var name in await jobNames().ConfigureAwait(false))
            {
                deleted += await InBatchesAsync(() => deleteBeyond(name, keep), batchSize).ConfigureAwait(false);
            }
        }

        return deleted;
    }

    private static async Task<int> InBatchesAsync(Func<Task<int>> deleteBatch, int batchSize)
    {
        var total = 0;
        while (true)
        {
            var deleted = await deleteBatch().ConfigureAwait(false);
            total += deleted;
            if (deleted < batchSize) return total;
        }
    }
}
