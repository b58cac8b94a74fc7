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

    protected override async Task<IJobStore> CreateFreshStoreAsync()
    {
        var path = NewDatabasePath();
        _files.Add(path);
        return await OpenAsync(path);
    }

    protected override Task<IJobStore> CreateStoreOnSameDatabaseAsync(IJobStore existing) => OpenAsync(_paths[existing]);

    private async Task<IJobStore> OpenAsync(string path)
    {
        var store = new SqliteJobStore(path);
        await store.MigrateAsync(CancellationToken.None);
        _paths[store] = path;
        return store;
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
}
