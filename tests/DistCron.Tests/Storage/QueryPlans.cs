using System.Text.Json;
using DistCron.Storage.Postgres;
using DistCron.Storage.Sqlite;
using DistCron.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace DistCron.Tests.Storage;

/// <summary>
/// What the query-plan tests share: empty databases with the current schema (a database of the shared PostgreSQL
/// cluster, a SQLite file), and reading plans: the rows each scan of <c>runs</c> read in an EXPLAIN ANALYZE (PostgreSQL),
/// and the lines of an EXPLAIN QUERY PLAN (SQLite).
/// </summary>
internal static class QueryPlans
{
    /// <summary>A new database of the shared cluster, migrated.</summary>
    public static async Task<NpgsqlDataSource> MigratedPostgresAsync(string hint)
    {
        var server = await PostgresServer.SharedAsync();
        var dataSource = NpgsqlDataSource.Create(await server.CreateDatabaseAsync(hint));
        await using var store = new PostgresJobStore(dataSource);
        await store.MigrateAsync(CancellationToken.None);
        return dataSource;
    }

    public static async Task ExecuteAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Every scan node on <c>runs</c>: the rows it returned plus the rows it read and dropped, over all its loops.</summary>
    public static List<(string Type, string Index, long Read)> ScansOfRuns(JsonElement plan)
    {
        var scans = new List<(string Type, string Index, long Read)>();
        Walk(plan, scans);
        return scans;
    }

    private static void Walk(JsonElement node, List<(string Type, string Index, long Read)> scans)
    {
        var type = node.GetProperty("Node Type").GetString()!;
        // A DELETE's ModifyTable names the table too, but reads nothing itself: its input is the scan below it.
        if (type != "ModifyTable" && node.TryGetProperty("Relation Name", out var relation) && relation.GetString() == "runs")
        {
            var rows = Number(node, "Actual Rows") + Number(node, "Rows Removed by Filter") + Number(node, "Rows Removed by Index Recheck");
            var index = node.TryGetProperty("Index Name", out var name) ? name.GetString()! : "";
            scans.Add((type, index, rows * Math.Max(1, Number(node, "Actual Loops"))));
        }

        if (node.TryGetProperty("Plans", out var children))
        {
            foreach (var child in children.EnumerateArray()) Walk(child, scans);
        }
    }

    public static long Number(JsonElement node, string property) =>
        node.TryGetProperty(property, out var value) ? (long)value.GetDouble() : 0;

    /// <summary>A SCAN of runs (its table or a whole index) reads every row; a SEARCH reads an index range.</summary>
    public static bool ScansRuns(string planLine) =>
        planLine.StartsWith("SCAN runs", StringComparison.Ordinal) || planLine.StartsWith("SCAN r ", StringComparison.Ordinal) || planLine == "SCAN r";
}

/// <summary>A new SQLite file with the current schema and one open connection (no pooling); deleted when disposed.</summary>
internal sealed class MigratedSqliteFile : IAsyncDisposable
{
    private MigratedSqliteFile(string path, SqliteConnection connection) => (Path, Connection) = (path, connection);

    public string Path { get; }

    public SqliteConnection Connection { get; }

    public static async Task<MigratedSqliteFile> CreateAsync()
    {
        var path = SqliteJobStoreTests.NewDatabasePath();
        await using (var store = new SqliteJobStore(path))
        {
            await store.MigrateAsync(CancellationToken.None);
        }

        var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        await connection.OpenAsync();
        return new MigratedSqliteFile(path, connection);
    }

    public async Task ExecuteAsync(string sql)
    {
        await using var command = Connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>The detail lines of EXPLAIN QUERY PLAN for <paramref name="sql"/> with these parameters.</summary>
    public async Task<List<string>> QueryPlanAsync(string sql, IReadOnlyDictionary<string, object> parameters)
    {
        await using var command = Connection.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + sql;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        var plan = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) plan.Add(reader.GetString(3));
        return plan;
    }

    public async ValueTask DisposeAsync()
    {
        await Connection.DisposeAsync();
        SqliteConnection.ClearAllPools();
        SqliteJobStoreTests.DeleteDatabase(Path);
    }
}
