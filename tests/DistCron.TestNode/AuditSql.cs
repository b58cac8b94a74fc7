using Microsoft.Data.Sqlite;

namespace DistCron.TestNode;

/// <summary>
/// The audit table every test node writes one row into per run it starts. It lives OUTSIDE DistCron's own tables
/// (PostgreSQL: <c>public.audit_runs</c>, DistCron uses its own schema; SQLite: a second file) and is written with
/// plain ADO.NET, so it records what the job bodies actually did, not what DistCron believes happened.
/// Shared with the harness (linked into DistCron.Fleet), which creates it before starting nodes and reads it back.
/// </summary>
/// <remarks>
/// <c>manual</c> says the run was a manual trigger's (its occurrence is then the trigger's request time).
/// One row per (job, occurrence, fence): the fence identifies the claim, so a retried insert after a lost
/// acknowledgement (database restarted right after commit) is a no-op instead of a phantom duplicate run.
/// <c>started_at</c> is the DATABASE clock, comparable with <c>runs.finished_at</c>; on SQLite it is unix milliseconds
/// of the (shared) machine clock, like the SQLite store's own times.
/// </remarks>
public static class AuditSql
{
    public const string PostgresCreate = """
        CREATE TABLE IF NOT EXISTS public.audit_runs (
            id bigserial PRIMARY KEY,
            app text NOT NULL,
            job text NOT NULL,
            occurrence_at timestamptz NOT NULL,
            node_id text NOT NULL,
            fence bigint NOT NULL,
            attempt int NOT NULL,
            manual boolean NOT NULL,
            started_at timestamptz NOT NULL DEFAULT now(),
            UNIQUE (app, job, occurrence_at, fence))
        """;

    public const string PostgresInsert = """
        INSERT INTO public.audit_runs (app, job, occurrence_at, node_id, fence, attempt, manual)
        VALUES (@app, @job, @occurrence, @node, @fence, @attempt, @manual)
        ON CONFLICT (app, job, occurrence_at, fence) DO NOTHING
        """;

    public const string PostgresSelect = """
        SELECT job, occurrence_at, node_id, fence, attempt, started_at, manual FROM public.audit_runs WHERE app = @app
        """;

    public const string SqliteNowMs = "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)";

    public const string SqliteCreate = """
        CREATE TABLE IF NOT EXISTS audit_runs (
            id INTEGER PRIMARY KEY,
            app TEXT NOT NULL,
            job TEXT NOT NULL,
            occurrence_at INTEGER NOT NULL,
            node_id TEXT NOT NULL,
            fence INTEGER NOT NULL,
            attempt INTEGER NOT NULL,
            manual INTEGER NOT NULL,
            started_at INTEGER NOT NULL,
            UNIQUE (app, job, occurrence_at, fence))
        """;

    public const string SqliteInsert = $"""
        INSERT OR IGNORE INTO audit_runs (app, job, occurrence_at, node_id, fence, attempt, manual, started_at)
        VALUES (@app, @job, @occurrence, @node, @fence, @attempt, @manual, {SqliteNowMs})
        """;

    public const string SqliteSelect = """
        SELECT job, occurrence_at, node_id, fence, attempt, started_at, manual FROM audit_runs WHERE app = @app
        """;

    /// <summary>Opens the SQLite audit file the way every writer must: WAL, and wait (not fail) on a busy lock.</summary>
    public static string SqliteConnectionString(string auditPath) =>
        $"Data Source={auditPath};Pooling=True;Default Timeout=30";

    /// <summary>Creates the SQLite audit table (WAL mode) if missing: the harness before nodes start, and each node.</summary>
    public static async Task CreateSqliteTableAsync(string connectionString, CancellationToken cancellationToken)
    {
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode=WAL; " + SqliteCreate;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
