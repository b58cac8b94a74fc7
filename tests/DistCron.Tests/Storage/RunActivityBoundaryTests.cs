using DistCron.Storage.Postgres;
using DistCron.Storage.Sqlite;
using Npgsql;
using NpgsqlTypes;

namespace DistCron.Tests.Storage;

/// <summary>
/// The activity buckets' edges, to the clock's resolution: a bucket holds the runs finished after its start and at or
/// before its end, and the window's start is out. The conformance suite cannot hit an edge exactly (the database clock
/// moves between the insert and the read), so here the store's own statement reads a frozen now: on PostgreSQL inside
/// one transaction (now() is the transaction's start), on SQLite with the now expression replaced by a constant.
/// Edges at now − 60 min (out), + 1 µs/ms (bucket 0), now − 59 min (still bucket 0), + 1 µs/ms (bucket 1), now (59).
/// </summary>
public sealed class RunActivityBoundaryTests
{
    private const string App = "edges";

    [Fact]
    public async Task Postgres_buckets_hold_their_end_and_not_their_start()
    {
        await using var dataSource = await QueryPlans.MigratedPostgresAsync("edges");

        await using var connection = await dataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var insert = new NpgsqlCommand("""
            INSERT INTO distcron.runs (app, job_name, occurrence_at, attempt, node_id, fence, status, finished_at, duration_ms)
            SELECT @app, 'a', now(), 1, 'n', 1, s, now() - ago, 1
            FROM (VALUES (interval '60 minutes', 0), (interval '60 minutes' - interval '1 microsecond', 0),
                         (interval '59 minutes', 1), (interval '59 minutes' - interval '1 microsecond', 2),
                         (interval '0', 0), (interval '0', 1), (interval '-1 microsecond', 0)) AS t (ago, s)
            """, connection, transaction))
        {
            insert.Parameters.AddWithValue("app", App);
            await insert.ExecuteNonQueryAsync();
        }

        await using var command = new NpgsqlCommand(PostgresJobStore.RunActivitySql.Replace("{schema}", "distcron", StringComparison.Ordinal), connection, transaction);
        command.Parameters.AddWithValue("app", App);
        command.Parameters.AddWithValue("window", NpgsqlDbType.Interval, TimeSpan.FromHours(1));
        command.Parameters.AddWithValue("bucket_us", NpgsqlDbType.Bigint, 60_000_000L);
        var counts = new List<(int, long, long)>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync()) counts.Add((reader.GetInt32(1), reader.GetInt64(2), reader.GetInt64(3)));
        }

        Assert.Equal([(0, 2, 1), (1, 1, 1), (59, 2, 1)], counts);
    }

    [Fact]
    public async Task Sqlite_buckets_hold_their_end_and_not_their_start()
    {
        const long Now = 1_800_000_000_000; // a frozen now, in the store's Unix milliseconds
        await using var file = await MigratedSqliteFile.CreateAsync();
        await file.ExecuteAsync($"""
            INSERT INTO runs (app, job_name, occurrence_at, attempt, node_id, fence, status, finished_at, duration_ms)
            VALUES ('{App}', 'a', 0, 1, 'n', 1, 0, {Now - 3_600_000}, 1), ('{App}', 'a', 0, 1, 'n', 1, 0, {Now - 3_599_999}, 1),
                   ('{App}', 'a', 0, 1, 'n', 1, 1, {Now - 3_540_000}, 1), ('{App}', 'a', 0, 1, 'n', 1, 2, {Now - 3_539_999}, 1),
                   ('{App}', 'a', 0, 1, 'n', 1, 0, {Now}, 1), ('{App}', 'a', 0, 1, 'n', 1, 1, {Now}, 1),
                   ('{App}', 'a', 0, 1, 'n', 1, 0, {Now + 1}, 1);
            """);

        var sql = SqliteJobStore.RunActivitySql;
        Assert.Contains(SqliteJobStore.Now, sql, StringComparison.Ordinal);
        await using var command = file.Connection.CreateCommand();
        command.CommandText = sql.Replace(SqliteJobStore.Now, Now.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        command.Parameters.AddWithValue("$app", App);
        command.Parameters.AddWithValue("$window", 3_600_000L);
        command.Parameters.AddWithValue("$bucket", 60_000L);
        var counts = new List<(long, long, long)>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync()) counts.Add((reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3)));
        }

        Assert.Equal([(0, 2, 1), (1, 1, 1), (59, 2, 1)], counts);
    }
}
