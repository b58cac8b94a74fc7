using System.Text.Json;
using DistCron.Storage.Postgres;
using DistCron.Storage.Sqlite;
using Npgsql;
using NpgsqlTypes;

namespace DistCron.Tests.Storage;

/// <summary>
/// The dashboard's run statistics read only the rows they count, however long the history: the hour's activity reads
/// the hour's rows through the finish-time index, a job's last runs read those runs through the job's index. PostgreSQL:
/// the store's own statements under EXPLAIN ANALYZE on 100,000 rows with fresh statistics, counting the rows every scan
/// of <c>runs</c> read. SQLite: EXPLAIN QUERY PLAN on a real file, with and without statistics.
/// </summary>
public sealed class RunStatsQueryPlanTests
{
    private const string App = "big";
    private const int Rows = 100_000;
    private const int Jobs = 20;

    [Fact]
    public async Task Postgres_run_statistics_read_only_the_rows_they_count_on_a_large_history()
    {
        await using var dataSource = await QueryPlans.MigratedPostgresAsync("statsplan");

        // One run every 10 seconds for the last ~11.5 days, a tenth of them another app's, one in 7 a failure: the last
        // hour holds 360 rows, 324 of this app.
        await QueryPlans.ExecuteAsync(dataSource, $"""
            INSERT INTO distcron.runs (app, job_name, occurrence_at, attempt, node_id, fence, status, finished_at, duration_ms)
            SELECT CASE WHEN g % 10 = 0 THEN 'other' ELSE '{App}' END, 'job' || lpad((g % {Jobs})::text, 2, '0'),
                   now() - ({Rows} - g) * interval '10 seconds', 1, 'n', g, CASE WHEN g % 7 = 0 THEN 1 ELSE 0 END,
                   now() - ({Rows} - g) * interval '10 seconds' - interval '1 millisecond', g % 5000
            FROM generate_series(1, {Rows}) g
            """);
        await QueryPlans.ExecuteAsync(dataSource, "VACUUM ANALYZE distcron.runs"); // statistics, as autovacuum keeps them

        var activity = await ExplainAsync(dataSource, PostgresJobStore.RunActivitySql, c =>
        {
            c.Parameters.AddWithValue("window", NpgsqlDbType.Interval, TimeSpan.FromHours(1));
            c.Parameters.AddWithValue("bucket_us", NpgsqlDbType.Bigint, 60_000_000L);
        });
        AssertReads(activity, atMost: 400, "runs_finished_idx");

        var recent = await ExplainAsync(dataSource, PostgresJobStore.RecentRunsSql, c =>
        {
            c.Parameters.AddWithValue("name", "job03");
            c.Parameters.AddWithValue("limit", 100);
        });
        AssertReads(recent, atMost: 100, "runs_job_idx");
    }

    [Fact]
    public async Task Sqlite_run_statistics_search_the_history_by_index_and_never_scan_it()
    {
        await using var file = await MigratedSqliteFile.CreateAsync();
        await file.ExecuteAsync($"""
            WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 20000)
            INSERT INTO runs (app, job_name, occurrence_at, attempt, node_id, fence, status, finished_at, duration_ms)
            SELECT CASE WHEN n % 10 = 0 THEN 'other' ELSE '{App}' END, 'job' || (n % {Jobs}), n, 1, 'n', n, n % 7 = 0, n * 1000, 5 FROM g;
            """);
        var parameters = new Dictionary<string, object> { ["$app"] = App, ["$window"] = 3_600_000, ["$bucket"] = 60_000, ["$name"] = "job3", ["$limit"] = 100 };

        foreach (var analyzed in new[] { false, true })
        {
            if (analyzed) await file.ExecuteAsync("ANALYZE;");
            var statements = new (string Rule, string Sql, string Search)[]
            {
                ("activity", SqliteJobStore.RunActivitySql, "runs_by_finish (app=? AND finished_at>? AND finished_at<?)"),
                ("recent", SqliteJobStore.RecentRunsSql, "runs_by_job (app=? AND job_name=?)"),
            };
            foreach (var (rule, sql, search) in statements)
            {
                var plan = await file.QueryPlanAsync(sql, parameters);
                var where = $"{rule} (analyzed: {analyzed}):\n{string.Join("\n", plan)}";
                Assert.True(plan.Any(line => line.StartsWith("SEARCH ", StringComparison.Ordinal) && line.EndsWith(search, StringComparison.Ordinal)), where);
                Assert.DoesNotContain(plan, QueryPlans.ScansRuns);
            }
        }
    }

    private static async Task<JsonElement> ExplainAsync(NpgsqlDataSource dataSource, string sql, Action<NpgsqlCommand> parameters)
    {
        await using var command = dataSource.CreateCommand("EXPLAIN (ANALYZE, FORMAT JSON) " + sql.Replace("{schema}", "distcron", StringComparison.Ordinal));
        command.Parameters.AddWithValue("app", App);
        parameters(command);
        var json = (string)(await command.ExecuteScalarAsync())!;
        return JsonDocument.Parse(json).RootElement[0];
    }

    private static void AssertReads(JsonElement explained, int atMost, string index)
    {
        var scans = QueryPlans.ScansOfRuns(explained.GetProperty("Plan"));
        var plan = explained.GetProperty("Plan").ToString();
        Assert.True(scans.Count > 0, plan);
        Assert.DoesNotContain(scans, s => s.Type == "Seq Scan");
        // An index scan or a bitmap scan of the index: either reads only the index's range.
        Assert.Contains($"\"Index Name\": \"{index}\"", plan, StringComparison.Ordinal);
        var read = scans.Sum(s => s.Read);
        Assert.True(read <= atMost, $"the scans of runs read {read} rows (at most {atMost} expected, of {Rows}):\n{plan}");
        Assert.True(read > 0, $"the statement counted nothing:\n{plan}");
    }
}
