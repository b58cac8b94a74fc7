using System.CommandLine;
using System.Data.Common;
using System.Net.Sockets;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace DistCron.Cli;

/// <summary>
/// Opens the client a command runs on, and sorts store failures into the tool's exit codes: the first statement
/// (<see cref="ConnectAsync"/>) tells "cannot connect" apart from everything after it, where a statement that outlives
/// <c>--timeout</c> is "timed out" rather than "unreachable".
/// </summary>
internal sealed class StoreConnection : IAsyncDisposable
{
    private readonly CancellationTokenSource? _deadline;

    private StoreConnection(DistCronClient client, CancellationTokenSource? deadline)
    {
        Client = client;
        _deadline = deadline;
    }

    public DistCronClient Client { get; }

    public static string StoreKind(CliDefinition cli, ParseResult parse)
    {
        var store = parse.GetValue(cli.Store);
        var sqlite = parse.GetResult(cli.Sqlite) is not null;
        if (store is null) return sqlite ? "sqlite" : "postgres";
        if (store == "postgres" && sqlite) throw new UsageException("--sqlite cannot be combined with --store postgres.");
        return store;
    }

    public static string Schema(CliDefinition cli, ParseResult parse) => parse.GetValue(cli.Schema) ?? "distcron";

    public static string App(CliDefinition cli, ParseResult parse) => parse.GetValue(cli.App) ?? "default";

    public static StoreConnection Open(CliDefinition cli, ParseResult parse)
    {
        var app = App(cli, parse);
        var timeout = parse.GetValue(cli.Timeout);
        var liveWindow = parse.GetValue(cli.LiveWindow) is { } seconds ? TimeSpan.FromSeconds(seconds) : DistCronClient.DefaultNodeLiveWindow;
        var connection = parse.GetValue(cli.Connection) ?? NullIfEmpty(Environment.GetEnvironmentVariable(CliDefinition.ConnectionVariable));
        if (StoreKind(cli, parse) == "sqlite")
        {
            var given = parse.GetValue(cli.Sqlite);
            var path = given ?? connection
                ?? throw new UsageException($"No SQLite file: pass --sqlite PATH (or --store sqlite with --connection PATH or {CliDefinition.ConnectionVariable}).");
            // Never create a database by looking at it: a typo must not leave an empty file behind. A path that came
            // from --connection or DISTCRON_CONNECTION is not echoed: it may well be a PostgreSQL connection string.
            if (!File.Exists(path))
            {
                throw new StoreUnreachableException(given is not null
                    ? $"The SQLite file '{path}' does not exist."
                    : $"The SQLite file named by {(parse.GetResult(cli.Connection) is not null ? "--connection" : CliDefinition.ConnectionVariable)} does not exist " +
                      "(its text is not shown: with --store sqlite it must be a file path, not a connection string).");
            }

            // SQLite has no connect or statement timeout to set from here (its lock waits follow the store's busy
            // timeout): the deadline cancels the command between statements.
            var deadline = timeout is { } t ? new CancellationTokenSource(TimeSpan.FromSeconds(t)) : null;
            var sqliteClient = DistCronClient.ForSqlite(path, app);
            sqliteClient.NodeLiveWindow = liveWindow;
            return new StoreConnection(sqliteClient, deadline);
        }

        if (connection is null) throw new UsageException($"No connection: pass --connection, set {CliDefinition.ConnectionVariable}, or use --sqlite PATH.");
        if (timeout is { } limit) connection = WithTimeouts(connection, limit);
        var client = DistCronClient.ForPostgres(connection, Schema(cli, parse), app);
        client.NodeLiveWindow = liveWindow;
        return new StoreConnection(client, null);
    }

    /// <summary>Cancelled when the SQLite deadline passes (never for PostgreSQL, whose driver enforces the timeouts).</summary>
    public CancellationToken Deadline => _deadline?.Token ?? CancellationToken.None;

    public bool DeadlinePassed => _deadline?.IsCancellationRequested == true;

    public ValueTask DisposeAsync()
    {
        _deadline?.Dispose();
        return Client.DisposeAsync();
    }

    // Npgsql's connect timeout ("Timeout") is capped at 1024 s; "Command Timeout" bounds each statement. When a
    // statement times out Npgsql cancels it on the server, so no lock wait is left behind.
    private static string WithTimeouts(string connection, int seconds)
    {
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connection);
        }
        catch (ArgumentException)
        {
            throw new ArgumentException("The PostgreSQL connection string is not valid (its text is not shown because it may contain a password).");
        }

        builder.Timeout = Math.Min(seconds, 1024);
        builder.CommandTimeout = seconds;
        return builder.ConnectionString;
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    // ---------------------------------------------------------------- failures

    /// <summary>The first statement of a command: any failure to get an answer from the database is "cannot connect".</summary>
    public async Task<T> ConnectAsync<T>(Task<T> task)
    {
        try
        {
            return await task.ConfigureAwait(false);
        }
        catch (Exception ex) when (NoSchema(ex) is { } message)
        {
            throw new StoreUnreachableException(message);
        }
        catch (OperationCanceledException) when (DeadlinePassed)
        {
            throw new StoreUnreachableException("Cannot open the SQLite file within --timeout.");
        }
        catch (Exception ex) when (ex is NpgsqlException or SocketException or TimeoutException)
        {
            throw new StoreUnreachableException($"Cannot connect to PostgreSQL: {Describe(ex)}");
        }
        catch (Exception ex) when (ex is DbException or IOException)
        {
            throw new StoreUnreachableException($"Cannot reach the DistCron store: {Describe(ex)}");
        }
    }

    /// <summary>Every later statement: a timeout is "timed out", a missing schema "unreachable".</summary>
    public async Task<T> RunAsync<T>(Task<T> task)
    {
        try
        {
            return await task.ConfigureAwait(false);
        }
        catch (Exception ex) when (NoSchema(ex) is { } message)
        {
            throw new StoreUnreachableException(message);
        }
        catch (Exception ex) when (StatementTimedOut(ex))
        {
            throw new StatementTimedOutException(
                $"Connected, but a statement did not finish within --timeout ({Describe(ex)}). Something may hold a lock on DistCron's tables " +
                "(a long transaction, a migration); retry, or raise --timeout.");
        }
        catch (NpgsqlException ex) when (ex is not PostgresException)
        {
            throw new StoreUnreachableException($"Lost the connection to PostgreSQL: {Describe(ex)}");
        }
    }

    public async Task RunAsync(Task task) => await RunAsync(Done(task)).ConfigureAwait(false);

    private static async Task<bool> Done(Task task)
    {
        await task.ConfigureAwait(false);
        return true;
    }

    private bool StatementTimedOut(Exception ex) => ex switch
    {
        PostgresException { SqlState: PostgresErrorCodes.QueryCanceled or PostgresErrorCodes.LockNotAvailable } => true,
        NpgsqlException { InnerException: TimeoutException } => true,
        SqliteException { SqliteErrorCode: 5 or 6 } => true, // SQLITE_BUSY, SQLITE_LOCKED: the busy timeout ran out
        OperationCanceledException => DeadlinePassed,
        _ => false,
    };

    private static string? NoSchema(Exception ex) => ex switch
    {
        PostgresException { SqlState: PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.InvalidSchemaName } pg =>
            $"The PostgreSQL database has no DistCron tables in this schema ({pg.MessageText}). Check --schema, or apply 'distcron sql'.",
        SqliteException sqlite when sqlite.Message.Contains("no such table", StringComparison.OrdinalIgnoreCase) =>
            "The SQLite file holds no DistCron tables. Check the path, or apply 'distcron sql --store sqlite'.",
        _ => null,
    };

    /// <summary>Exception text without the connection string: type-specific messages, first line only.</summary>
    public static string Describe(Exception ex)
    {
        var message = ex.Message;
        if (ex.InnerException is { } inner && !string.IsNullOrWhiteSpace(inner.Message)) message += " " + inner.Message;
        var line = message.Split('\n')[0].Trim();
        return line.Length > 300 ? line[..300] + "…" : line;
    }
}
