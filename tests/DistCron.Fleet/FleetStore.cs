using System.Data.Common;
using DistCron.TestNode;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace DistCron.Fleet;

/// <summary>The database a fleet shares: how nodes reach it, and how the harness reads the audit and the history.</summary>
public abstract class FleetStore
{
    /// <summary>"postgres" or "sqlite", as the test node's --store option.</summary>
    public abstract string Kind { get; }

    /// <summary>The --connection value of the test nodes.</summary>
    public abstract string NodeConnection { get; }

    /// <summary>Creates the audit table before the nodes start (they create it too; this avoids a start-up race).</summary>
    public abstract Task CreateAuditTableAsync(CancellationToken cancellationToken);

    public abstract Task<IReadOnlyList<AuditRow>> ReadAuditAsync(string app, CancellationToken cancellationToken);

    public abstract Task<IReadOnlyList<CompletionRow>> ReadCompletionsAsync(string app, CancellationToken cancellationToken);

    /// <summary>A DistCron client of the app, as an operator's tool would build it (dispose it).</summary>
    public abstract DistCronClient CreateClient(string app);

    /// <summary>
    /// Server settings under which a commit can vanish when the server crashes: a run that crashes the server would
    /// then report runs as lost or phantom that did happen. Empty when every commit is durable.
    /// </summary>
    public virtual Task<IReadOnlyList<string>> ReadDurabilityProblemsAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<string>>([]);
}

/// <summary>A PostgreSQL database: DistCron's tables in <paramref name="schema"/>, the audit in <c>public</c>.</summary>
public sealed class PostgresFleetStore(string connectionString, string schema = "distcron") : FleetStore
{
    // The harness outlives database restarts: a pooled connection would be a dead socket afterwards.
    private readonly string _harnessConnection = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString;

    public override string Kind => "postgres";

    public override string NodeConnection => connectionString;

    public override DistCronClient CreateClient(string app) => DistCronClient.ForPostgres(connectionString, schema, app);

    public override async Task CreateAuditTableAsync(CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(_harnessConnection);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(AuditSql.PostgresCreate, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public override async Task<IReadOnlyList<AuditRow>> ReadAuditAsync(string app, CancellationToken cancellationToken)
    {
        var rows = new List<AuditRow>();
        await using var reader = await QueryAsync(AuditSql.PostgresSelect, app, cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new AuditRow(reader.GetString(0), Utc(reader.GetDateTime(1)), reader.GetString(2), reader.GetInt64(3),
                reader.GetInt32(4), Utc(reader.GetDateTime(5)), reader.GetBoolean(6)));
        }

        return rows;
    }

    public override async Task<IReadOnlyList<CompletionRow>> ReadCompletionsAsync(string app, CancellationToken cancellationToken)
    {
        // The schema name is the only identifier spliced into SQL; it is fixed by the harness, never user input.
        var sql = $"""
            SELECT job_name, occurrence_at, attempt, node_id, fence, status, started_at, finished_at, manual
            FROM "{schema}".runs WHERE app = @app
            """;
        var rows = new List<CompletionRow>();
        await using var reader = await QueryAsync(sql, app, cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new CompletionRow(reader.GetString(0), Utc(reader.GetDateTime(1)), reader.GetInt32(2), reader.GetString(3),
                reader.GetInt64(4), reader.GetInt16(5), reader.IsDBNull(6) ? null : Utc(reader.GetDateTime(6)), Utc(reader.GetDateTime(7)), reader.GetBoolean(8)));
        }

        return rows;
    }

    // fsync and full_page_writes off lose commits only when the OS crashes too; synchronous_commit = off loses the
    // last commits at any server crash, and is what made the chaos tool report PHANTOM COMPLETION for runs that ran.
    public override async Task<IReadOnlyList<string>> ReadDurabilityProblemsAsync(CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        await using var connection = new NpgsqlConnection(_harnessConnection);
        await connection.OpenAsync(cancellationToken);
        foreach (var setting in new[] { "fsync", "synchronous_commit", "full_page_writes" })
        {
            await using var command = new NpgsqlCommand($"SHOW {setting}", connection);
            var value = (string)(await command.ExecuteScalarAsync(cancellationToken))!;
            if (value == "off")
            {
                problems.Add($"PostgreSQL runs with {setting} = off: commits can be lost when the server crashes, and this run " +
                             "crashes it, so lost or phantom runs in this audit may be the server's, not DistCron's. " +
                             "Use a crash-safe server (PostgresServer.StartAsync(crashSafe: true)).");
            }
        }

        return problems;
    }

    private async Task<DbDataReader> QueryAsync(string sql, string app, CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(_harnessConnection);
        await connection.OpenAsync(cancellationToken);
        var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("app", app);
        return await command.ExecuteReaderAsync(System.Data.CommandBehavior.CloseConnection, cancellationToken);
    }

    private static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));
}

/// <summary>One SQLite file shared by every node; the audit goes to <c>&lt;file&gt;.audit</c> beside it.</summary>
public sealed class SqliteFleetStore(string path) : FleetStore
{
    public override string Kind => "sqlite";

    public override string NodeConnection => path;

    public override DistCronClient CreateClient(string app) => DistCronClient.ForSqlite(path, app);

    private string AuditConnection => AuditSql.SqliteConnectionString(path + ".audit");

    public override Task CreateAuditTableAsync(CancellationToken cancellationToken) =>
        AuditSql.CreateSqliteTableAsync(AuditConnection, cancellationToken);

    public override async Task<IReadOnlyList<AuditRow>> ReadAuditAsync(string app, CancellationToken cancellationToken)
    {
        var rows = new List<AuditRow>();
        await using var connection = new SqliteConnection(AuditConnection);
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = AuditSql.SqliteSelect;
        command.Parameters.AddWithValue("@app", app);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new AuditRow(reader.GetString(0), Ms(reader.GetInt64(1)), reader.GetString(2), reader.GetInt64(3),
                reader.GetInt32(4), Ms(reader.GetInt64(5)), reader.GetInt64(6) != 0));
        }

        return rows;
    }

    public override async Task<IReadOnlyList<CompletionRow>> ReadCompletionsAsync(string app, CancellationToken cancellationToken)
    {
        var rows = new List<CompletionRow>();
        await using var connection = new SqliteConnection($"Data Source={path};Pooling=False;Default Timeout=30");
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT job_name, occurrence_at, attempt, node_id, fence, status, started_at, finished_at, manual
            FROM runs WHERE app = @app
            """;
        command.Parameters.AddWithValue("@app", app);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new CompletionRow(reader.GetString(0), Ms(reader.GetInt64(1)), reader.GetInt32(2), reader.GetString(3),
                reader.GetInt64(4), reader.GetInt32(5), reader.IsDBNull(6) ? null : Ms(reader.GetInt64(6)), Ms(reader.GetInt64(7)), reader.GetInt64(8) != 0));
        }

        return rows;
    }

    private static DateTimeOffset Ms(long unixMilliseconds) => DateTimeOffset.FromUnixTimeMilliseconds(unixMilliseconds);
}
