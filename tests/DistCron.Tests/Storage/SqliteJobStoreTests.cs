using System.Collections.Concurrent;
using DistCron.Storage;
using DistCron.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace DistCron.Tests.Storage;

/// <summary>The conformance suite against real SQLite files: a fresh temp file per store, deleted after the test.</summary>
public sealed class SqliteJobStoreTests : JobStoreConformance
{
    private readonly ConcurrentDictionary<IJobStore, string> _paths = new();
    private readonly ConcurrentBag<string> _files = [];

    internal static string NewDatabasePath() =>
        Path.Combine(Path.GetTempPath(), "distcron-tests", $"{Guid.NewGuid():N}.db");

    private protected override async Task<IJobStore> CreateFreshStoreAsync()
    {
        var path = NewDatabasePath();
        _files.Add(path);
        return await OpenAsync(path);
    }

    private protected override Task<IJobStore> CreateStoreOnSameDatabaseAsync(IJobStore existing) => OpenAsync(_paths[existing]);

    private async Task<IJobStore> OpenAsync(string path)
    {
        var store = new SqliteJobStore(path);
        await store.MigrateAsync(CancellationToken.None);
        _paths[store] = path;
        return store;
    }

    private protected override async Task InsertRunAsync(IJobStore store, string app, string job, RunStatus status, TimeSpan finishedAgo, TimeSpan duration)
    {
        await using var connection = new SqliteConnection($"Data Source={_paths[store]}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            INSERT INTO runs (app, job_name, occurrence_at, attempt, node_id, fence, status, finished_at, duration_ms)
            VALUES ($app, $job, {SqliteJobStore.Now}, 1, 'n', 1, $status, {SqliteJobStore.Now} - $ago, $ms);
            """;
        command.Parameters.AddWithValue("$app", app);
        command.Parameters.AddWithValue("$job", job);
        command.Parameters.AddWithValue("$status", (int)status);
        command.Parameters.AddWithValue("$ago", (long)finishedAgo.TotalMilliseconds);
        command.Parameters.AddWithValue("$ms", (long)duration.TotalMilliseconds);
        await command.ExecuteNonQueryAsync();
    }

    private protected override async Task<bool> ClaimedAtIsSetAsync(IJobStore store, string jobName)
    {
        await using var connection = new SqliteConnection($"Data Source={_paths[store]}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT claimed_at IS NOT NULL FROM jobs WHERE app = $app AND name = $name;";
        command.Parameters.AddWithValue("$app", App);
        command.Parameters.AddWithValue("$name", jobName);
        return (long)(await command.ExecuteScalarAsync())! != 0;
    }

    private protected override async Task<DateTimeOffset> UpdatedAtAsync(IJobStore store, string jobName)
    {
        await using var connection = new SqliteConnection($"Data Source={_paths[store]}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT updated_at FROM jobs WHERE app = $app AND name = $name;";
        command.Parameters.AddWithValue("$app", App);
        command.Parameters.AddWithValue("$name", jobName);
        return DateTimeOffset.FromUnixTimeMilliseconds((long)(await command.ExecuteScalarAsync())!);
    }

    private protected override async Task BreakAuditTableAsync(IJobStore store)
    {
        await using var connection = new SqliteConnection($"Data Source={_paths[store]}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "ALTER TABLE audit RENAME TO audit_gone;";
        await command.ExecuteNonQueryAsync();
    }

    protected override Task DropDatabasesAsync()
    {
        foreach (var file in _files) DeleteDatabase(file);
        return Task.CompletedTask;
    }

    internal static void DeleteDatabase(string path)
    {
        SqliteConnection.ClearAllPools();
        foreach (var suffix in new[] { "", "-wal", "-shm", "-journal" })
        {
            try { File.Delete(path + suffix); }
            catch (IOException) { /* best effort: a temp file left behind must not fail the test */ }
        }
    }

    // ---------------------------------------------------------------- SQLite-only behaviour

    [Fact]
    public async Task The_file_is_in_wal_mode_with_the_current_schema_version_and_a_recent_sqlite()
    {
        var path = NewDatabasePath();
        _files.Add(path);
        await OpenAsync(path);

        await using var connection = new SqliteConnection($"Data Source={path}");
        await connection.OpenAsync();
        Assert.Equal("wal", Scalar(connection, "PRAGMA journal_mode;"));
        Assert.Equal((long)SqliteSchema.CurrentVersion, Scalar(connection, "SELECT version FROM schema_version;"));
        // RETURNING needs 3.35, ->> 3.38: the bundled library must be at least that.
        Assert.True(Version.Parse((string)Scalar(connection, "SELECT sqlite_version();")!) >= new Version(3, 38));
    }

    [Fact]
    public async Task A_file_created_from_the_published_ddl_is_used_as_is()
    {
        var path = NewDatabasePath();
        _files.Add(path);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await using (var connection = new SqliteConnection($"Data Source={path}"))
        {
            await connection.OpenAsync();
            using var ddl = connection.CreateCommand();
            ddl.CommandText = SqliteJobStore.GetSchemaSql();
            await ddl.ExecuteNonQueryAsync();
        }

        var store = await OpenAsync(path); // migrates: must find version 1 and change nothing
        var now = await store.GetDatabaseTimeAsync(CancellationToken.None);
        await store.SeedAsync("app", [new SeedJob("a", "* * * * *", "UTC", "h", now.AddSeconds(-1))], CancellationToken.None);
        Assert.Single((await store.ClaimDueAsync("app", "n1", ["a"], 1, TimeSpan.FromMinutes(1), CancellationToken.None)).Claimed);
        await using var check = new SqliteConnection($"Data Source={path}");
        await check.OpenAsync();
        Assert.Equal(1L, Scalar(check, "SELECT COUNT(*) FROM schema_version;"));
    }

    [Fact]
    public async Task The_folder_of_the_file_is_created()
    {
        var folder = Path.Combine(Path.GetTempPath(), "distcron-tests", Guid.NewGuid().ToString("N"));
        var path = Path.Combine(folder, "nested", "app.db");
        try
        {
            await using var store = new SqliteJobStore(path);
            await store.MigrateAsync(CancellationToken.None);
            Assert.True(File.Exists(path));
        }
        finally
        {
            DeleteDatabase(path);
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    [InlineData(":memory:")]
    [InlineData("Data Source=app.db")]
    [InlineData("file:x?mode=memory")]
    public void A_path_that_cannot_coordinate_nodes_is_rejected_with_a_clear_message(string path)
    {
        var error = Assert.Throws<ArgumentException>(() => new SqliteJobStore(path));
        Assert.Contains("path", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    private static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}
