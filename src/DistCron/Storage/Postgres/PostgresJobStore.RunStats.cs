using Npgsql;
using NpgsqlTypes;

namespace DistCron.Storage.Postgres;

// The dashboard's run statistics: the app's activity per bucket of the last hour, and a job's last runs' durations.
internal sealed partial class PostgresJobStore
{
    // A range scan of runs_finished_idx (app, finished_at) over the window only, grouped in the database. now() is the
    // transaction's time, so the window's end, every bucket and the returned now agree. Buckets are half-open on the
    // left, (start, end], so a run finished exactly at now counts in the last one. The one-row left side returns now
    // even when the window holds no run. Buckets are counted in microseconds, timestamptz's own resolution.
    internal static readonly string RunActivitySql = $"""
        SELECT now(), b.bucket, b.runs, b.failures
        FROM (SELECT 1) AS one
        LEFT JOIN (
            SELECT (ceil(extract(epoch FROM finished_at - (now() - @window)) * 1000000 / @bucket_us) - 1)::int AS bucket,
                   count(*) AS runs,
                   count(*) FILTER (WHERE status IN ({(int)RunStatus.Failed}, {(int)RunStatus.TimedOut})) AS failures
            FROM {"{schema}"}.runs
            WHERE app = @app AND finished_at > now() - @window AND finished_at <= now() AND status <> {(int)RunStatus.Skipped}
            GROUP BY 1) AS b ON true
        ORDER BY b.bucket
        """;

    // Newest first down runs_job_idx (app, job_name, id DESC), stopping after @limit runs that ran.
    internal static readonly string RecentRunsSql = $"""
        SELECT id, status, finished_at, duration_ms
        FROM {"{schema}"}.runs
        WHERE app = @app AND job_name = @name AND status <> {(int)RunStatus.Skipped}
        ORDER BY id DESC
        LIMIT @limit
        """;

    /// <inheritdoc />
    public async Task<RunActivity> GetRunActivityAsync(string app, TimeSpan bucketWidth, int bucketCount, CancellationToken cancellationToken)
    {
        StoreRules.RunActivity(app, bucketWidth, bucketCount);
        await using var command = _dataSource.CreateCommand(Bind(RunActivitySql));
        command.Parameters.AddWithValue("app", app);
        command.Parameters.AddWithValue("window", NpgsqlDbType.Interval, bucketWidth * bucketCount);
        command.Parameters.AddWithValue("bucket_us", NpgsqlDbType.Bigint, bucketWidth.Ticks / (TimeSpan.TicksPerMillisecond / 1000));
        var now = default(DateTimeOffset);
        var counts = new List<(int, int, int)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            now = reader.GetFieldValue<DateTimeOffset>(0);
            if (!reader.IsDBNull(1)) counts.Add((reader.GetInt32(1), checked((int)reader.GetInt64(2)), checked((int)reader.GetInt64(3))));
        }

        return RunActivity.FromCounts(now, bucketWidth, bucketCount, counts);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<RecentRun>> GetRecentRunsAsync(string app, string jobName, int count, CancellationToken cancellationToken)
    {
        StoreRules.RecentRuns(app, jobName, count);
        await using var command = _dataSource.CreateCommand(Bind(RecentRunsSql));
        command.Parameters.AddWithValue("app", app);
        command.Parameters.AddWithValue("name", jobName);
        command.Parameters.AddWithValue("limit", count);
        var runs = new List<RecentRun>(Math.Min(count, 128));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            runs.Add(new RecentRun(reader.GetInt64(0), (RunStatus)reader.GetInt16(1), reader.GetFieldValue<DateTimeOffset>(2),
                TimeSpan.FromMilliseconds(reader.GetInt64(3))));
        }

        return runs;
    }
}
