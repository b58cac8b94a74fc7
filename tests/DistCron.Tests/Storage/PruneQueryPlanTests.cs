using System.Text.Json;
using DistCron.Storage.Sqlite;
using DistCron.Tests.Docs;
using Npgsql;
using NpgsqlTypes;

namespace DistCron.Tests.Storage;

/// <summary>
/// History pruning reads only what it deletes, plus a few index probes, however long the history: the age rule's last
/// batch ("nothing old left") and the list of job names used to read every history row of the app. PostgreSQL: the
/// store's own statements run under EXPLAIN ANALYZE (rolled back) on a table of 100,000 rows with fresh statistics,
/// and the rows every scan of <c>runs</c> read are counted. SQLite: EXPLAIN QUERY PLAN on a real file.
/// </summary>
public sealed class PruneQueryPlanTests
{
    private const string App = "big";
    private const int Rows = 100_000;
    private const int Jobs = 20;
    private const int Batch = 500;
    private const int Keep = 1000;

    [Fact]
    public async Task Postgres_prune_statements_read_no_more_than_they_delete_on_a_large_history()
    {
        await using var dataSource = await QueryPlans.MigratedPostgresAsync("plan");

        // One app, 20 jobs, one run a second for the last ~28 hours, and another app's rows around them.
        await QueryPlans.ExecuteAsync(dataSource, $"""
            INSERT INTO distcron.runs (app, job_name, occurrence_at, attempt, node_id, fence, status, finished_at, duration_ms)
            SELECT CASE WHEN g % 10 = 0 THEN 'other' ELSE '{App}' END, 'job' || lpad((g % {Jobs})::text, 2, '0'),
                   now() - ({Rows} - g) * interval '1 second', 1, 'n', g, 0, now() - ({Rows} - g) * interval '1 second', 5
            FROM generate_series(1, {Rows}) g
            """);
        await QueryPlans.ExecuteAsync(dataSource, "VACUUM ANALYZE distcron.runs"); // statistics, as autovacuum keeps them

        // Nothing older than 30 days: the age rule's last batch, which every prune runs.
        var nothingOld = await ExplainAsync(dataSource, "PruneByAgeSql", c => c.Parameters.AddWithValue("max_age", NpgsqlDbType.Interval, TimeSpan.FromDays(30)));
        AssertReads(nothingOld, atMost: 5, deleted: 0);

        // Most rows older than an hour: one batch reads its batch.
        var manyOld = await ExplainAsync(dataSource, "PruneByAgeSql", c => c.Parameters.AddWithValue("max_age", NpgsqlDbType.Interval, TimeSpan.FromHours(1)));
        AssertReads(manyOld, atMost: 3 * Batch, deleted: Batch);

        var beyond = await ExplainAsync(dataSource, "PruneByCountSql", c =>
        {
            c.Parameters.AddWithValue("name", "job03");
            c.Parameters.AddWithValue("keep", Keep);
        });
        // The planner may walk the primary key down from the keep-th newest row and filter by job (sequential heap
        // reads, about batch × jobs rows) instead of the job's index range (the batch): bounded by the batch either way.
        AssertReads(beyond, atMost: Keep + (Batch * (Jobs + 5)), deleted: Batch);

        var names = await ExplainAsync(dataSource, "HistoryJobNamesSql", _ => { });
        AssertReads(names, atMost: 3 * (Jobs + 1), deleted: null);
    }

    [Fact]
    public async Task Sqlite_prune_statements_search_the_history_by_index_and_never_scan_it()
    {
        await using var file = await MigratedSqliteFile.CreateAsync();
        await file.ExecuteAsync($"""
            WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 20000)
            INSERT INTO runs (app, job_name, occurrence_at, attempt, node_id, fence, status, finished_at, duration_ms)
            SELECT CASE WHEN n % 10 = 0 THEN 'other' ELSE '{App}' END, 'job' || (n % {Jobs}), n, 1, 'n', n, 0, n * 1000, 5 FROM g;
            """);
        var parameters = new Dictionary<string, object> { ["$app"] = App, ["$max_age"] = 1000, ["$batch"] = Batch, ["$name"] = "job3", ["$keep"] = Keep };

        // As the store leaves a file (no statistics), then with statistics: neither may scan runs.
        foreach (var analyzed in new[] { false, true })
        {
            if (analyzed) await file.ExecuteAsync("ANALYZE;");
            // Each statement, and the index range it must search (a range narrower than the app's whole history).
            var statements = new (string Rule, string Sql, string Search)[]
            {
                ("age", SqliteJobStore.PruneByAgeSql, "runs_by_finish (app=? AND finished_at<?)"),
                ("count", SqliteJobStore.PruneByCountSql, "runs_by_job (app=? AND job_name=? AND id<?)"),
                ("names", SqliteJobStore.HistoryJobNamesSql, "runs_by_job (app=? AND job_name>?)"),
            };
            foreach (var (rule, sql, search) in statements)
            {
                var plan = await file.QueryPlanAsync(sql, parameters);
                var where = $"{rule} (analyzed: {analyzed}):\n{string.Join("\n", plan)}";
                Assert.True(plan.Any(line => line.StartsWith("SEARCH ", StringComparison.Ordinal) && line.EndsWith(search, StringComparison.Ordinal)), where);
                // A SCAN of runs reads every row. The rest reads an index range or one row: the names' first probe
                // searches (app=?) but stops at the first entry (LIMIT 1).
                Assert.DoesNotContain(plan, QueryPlans.ScansRuns);
            }
        }
    }

    // Runs the statement under EXPLAIN (ANALYZE, FORMAT JSON) in a transaction that is rolled back.
    private static async Task<JsonElement> ExplainAsync(NpgsqlDataSource dataSource, string statement, Action<NpgsqlCommand> parameters)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using var command = new NpgsqlCommand("EXPLAIN (ANALYZE, FORMAT JSON) " + DocSqlTests.Statement(statement), connection, transaction);
        command.Parameters.AddWithValue("app", App);
        command.Parameters.AddWithValue("batch", Batch);
        parameters(command);
        var json = (string)(await command.ExecuteScalarAsync())!;
        await transaction.RollbackAsync();
        return JsonDocument.Parse(json).RootElement[0];
    }

    private static void AssertReads(JsonElement explained, int atMost, int? deleted)
    {
        var scans = QueryPlans.ScansOfRuns(explained.GetProperty("Plan"));
        var plan = explained.GetProperty("Plan").ToString();
        Assert.True(scans.Count > 0, plan);
        Assert.DoesNotContain(scans, s => s.Type == "Seq Scan");
        var read = scans.Sum(s => s.Read);
        Assert.True(read <= atMost, $"the scans of runs read {read} rows (at most {atMost} expected, of {Rows}):\n{plan}");
        if (deleted is { } expected)
        {
            // The statement did its work (a plan that deletes nothing reads nothing).
            Assert.Equal(expected, CountDeleted(explained.GetProperty("Plan")));
        }
    }

    private static long CountDeleted(JsonElement plan)
    {
        // ModifyTable's own "Actual Rows" is 0 without RETURNING; its input is the rows it deleted.
        Assert.Equal("ModifyTable", plan.GetProperty("Node Type").GetString());
        var input = plan.GetProperty("Plans")[0];
        return QueryPlans.Number(input, "Actual Rows") * Math.Max(1, QueryPlans.Number(input, "Actual Loops"));
    }
}
