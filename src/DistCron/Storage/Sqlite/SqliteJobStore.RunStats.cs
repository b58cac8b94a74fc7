namespace DistCron.Storage.Sqlite;

// The dashboard's run statistics: the app's activity per bucket of the last hour, and a job's last runs' durations.
internal sealed partial class SqliteJobStore
{
    // now is read once (a materialized CTE), so the window's end, every bucket and the returned now agree; the runs are
    // searched on runs_by_finish (app, finished_at) over the window only and grouped in the database. Buckets are
    // half-open on the left, (start, end], so a run finished exactly at now counts in the last one; times are Unix
    // milliseconds, so the bucket is integer arithmetic on a positive offset. The one-row left side returns now even
    // when the window holds no run.
    internal static readonly string RunActivitySql = $"""
        WITH n AS MATERIALIZED (SELECT {Now} AS now)
        SELECT n.now, b.bucket, b.runs, b.failures
        FROM n
        LEFT JOIN (
            SELECT (r.finished_at - (w.now - $window) + $bucket - 1) / $bucket - 1 AS bucket,
                   count(*) AS runs,
                   sum(r.status IN ({(int)RunStatus.Failed}, {(int)RunStatus.TimedOut})) AS failures
            FROM n AS w, runs AS r
            WHERE r.app = $app AND r.finished_at > w.now - $window AND r.finished_at <= w.now AND r.status <> {(int)RunStatus.Skipped}
            GROUP BY 1) AS b
        ORDER BY b.bucket;
        """;

    // Newest first down runs_by_job (app, job_name, id DESC), stopping after $limit runs that ran.
    internal static readonly string RecentRunsSql = $"""
        SELECT id, status, finished_at, duration_ms
        FROM runs
        WHERE app = $app AND job_name = $name AND status <> {(int)RunStatus.Skipped}
        ORDER BY id DESC
        LIMIT $limit;
        """;

    /// <inheritdoc />
    public async Task<RunActivity> GetRunActivityAsync(string app, TimeSpan bucketWidth, int bucketCount, CancellationToken cancellationToken)
    {
        StoreRules.RunActivity(app, bucketWidth, bucketCount);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, RunActivitySql,
            ("$app", app), ("$window", ToMs(bucketWidth * bucketCount)), ("$bucket", ToMs(bucketWidth)));
        var now = 0L;
        var counts = new List<(int, int, int)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            now = reader.GetInt64(0);
            if (!reader.IsDBNull(1)) counts.Add((checked((int)reader.GetInt64(1)), checked((int)reader.GetInt64(2)), checked((int)reader.GetInt64(3))));
        }

        return RunActivity.FromCounts(FromMs(now), bucketWidth, bucketCount, counts);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<RecentRun>> GetRecentRunsAsync(string app, string jobName, int count, CancellationToken cancellationToken)
    {
        StoreRules.RecentRuns(app, jobName, count);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, RecentRunsSql, ("$app", app), ("$name", jobName), ("$limit", count));
        var runs = new List<RecentRun>(Math.Min(count, 128));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            runs.Add(new RecentRun(reader.GetInt64(0), (RunStatus)reader.GetInt32(1), FromMs(reader.GetInt64(2)), TimeSpan.FromMilliseconds(reader.GetInt64(3))));
        }

        return runs;
    }
}
