using Microsoft.Data.Sqlite;

namespace DistCron.Tests.Infrastructure;

/// <summary>Temp SQLite database files for tests: a fresh path each, and deletion with the WAL and journal files.</summary>
public static class SqliteFiles
{
    /// <summary>A path nobody used yet, under the temp folder's distcron-tests directory.</summary>
    public static string NewDatabasePath() =>
        Path.Combine(Path.GetTempPath(), "distcron-tests", $"{Guid.NewGuid():N}.db");

    /// <summary>Deletes the database and its -wal, -shm and -journal files; a file left behind never fails a test.</summary>
    public static void Delete(string path)
    {
        // Pooled connections keep the files open (and the WAL alive) after the test's last connection is closed.
        SqliteConnection.ClearAllPools();
        foreach (var suffix in new[] { "", "-wal", "-shm", "-journal" })
        {
            try { File.Delete(path + suffix); }
            catch (IOException) { /* best effort */ }
        }
    }
}
