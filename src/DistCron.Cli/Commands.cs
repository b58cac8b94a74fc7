using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace DistCron.Cli;

/// <summary>The tool's commands, each a few lines over <see cref="DistCronClient"/>.</summary>
internal static class Commands
{
    public const string ConnectionVariable = "DISTCRON_CONNECTION";

    public const string Usage = """
        distcron - operate DistCron jobs from the command line

        Usage: distcron <command> [arguments] [options]

        Commands:
          jobs                      List jobs: schedule, time zone, next due time, state, last run
          history [job]             Run history, newest first (every job when no job is given)
                 [--limit N]        Page size, 1-1000 (default 20)
                 [--status S]       Only runs with status succeeded|failed|timedout|skipped
                 [--before ID]      Only runs with an id below ID (the next page)
          trigger <job>             Run the job once now (paused or not; its schedule is unchanged)
          pause <job>               Stop scheduling the job (a run in progress finishes)
          resume <job>              Resume at the next occurrence after the database's now
          nodes                     List registered nodes
          sql [--store postgres|sqlite] [--schema NAME]
                                    Print the schema DDL (no connection needed)

        Connection:
          --connection CS           PostgreSQL connection string (default: environment variable DISTCRON_CONNECTION)
          --sqlite PATH             Use this SQLite database file instead
          --store postgres|sqlite   Store kind; with sqlite, --connection (or DISTCRON_CONNECTION) is the file path
          --schema NAME             PostgreSQL schema (default distcron)
          --app NAME                Application name (default default)

        Output:
          --json                    Machine-readable JSON instead of tables

        Exit codes: 0 ok, 1 error, 2 usage, 3 job not found, 4 store unreachable or without DistCron schema, 5 refused.
        The connection string is never printed.
        """;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public static async Task<int> RunAsync(CliArguments args, TextWriter output, CancellationToken cancellationToken)
    {
        var json = args.Has("json");
        switch (args.Command)
        {
            case "sql":
                ExpectPositional(args, 0);
                output.WriteLine(DistCronClient.GetSchemaSql(StoreKind(args), Schema(args)));
                return ExitCodes.Ok;

            case "jobs":
            {
                ExpectPositional(args, 0);
                await using var client = OpenClient(args);
                var jobs = await Guard(client.ListJobsAsync(cancellationToken));
                var now = await Guard(client.GetDatabaseTimeAsync(cancellationToken));
                if (json) Write(output, jobs);
                else WriteJobs(output, jobs, now);
                return ExitCodes.Ok;
            }

            case "history":
            {
                var job = args.Positional.Count switch
                {
                    0 => null,
                    1 => NotAConnectionString(args.Positional[0]),
                    _ => throw new UsageException("'history' takes at most one job name."),
                };
                var query = new HistoryQuery(Limit: Int(args, "limit", 20, 1, HistoryQuery.MaxLimit), BeforeId: Long(args, "before"), Status: Status(args));
                await using var client = OpenClient(args);
                var runs = await Guard(client.GetHistoryAsync(job, query, cancellationToken));
                if (json) Write(output, runs);
                else WriteHistory(output, runs, query.Limit);
                return ExitCodes.Ok;
            }

            case "trigger" or "pause" or "resume":
            {
                var job = JobName(args);
                await using var client = OpenClient(args);
                DateTimeOffset? next = null;
                switch (args.Command)
                {
                    case "trigger": await Guard(client.TriggerAsync(job, cancellationToken)); break;
                    case "pause": await Guard(client.PauseAsync(job, cancellationToken)); break;
                    default: next = await Guard(client.ResumeAsync(job, cancellationToken)); break;
                }

                var row = await Guard(client.GetJobAsync(job, cancellationToken));
                if (json)
                {
                    Write(output, row);
                }
                else
                {
                    output.WriteLine(args.Command switch
                    {
                        "trigger" => $"Triggered '{job}': it runs once as soon as a node with its code is free.",
                        "pause" => $"Paused '{job}'. Resume with 'distcron resume {job}'.",
                        _ => $"Resumed '{job}'; next due {Time(next ?? row.NextDueAt)}.",
                    });
                }

                return ExitCodes.Ok;
            }

            case "nodes":
            {
                ExpectPositional(args, 0);
                await using var client = OpenClient(args);
                var nodes = await Guard(client.ListNodesAsync(cancellationToken));
                var now = await Guard(client.GetDatabaseTimeAsync(cancellationToken));
                if (json) Write(output, nodes);
                else WriteNodes(output, nodes, now);
                return ExitCodes.Ok;
            }

            default:
                throw new UsageException($"Unknown command '{Secrets.Shown(args.Command!)}'.");
        }
    }

    // ---------------------------------------------------------------- connection

    private static DistCronClient OpenClient(CliArguments args)
    {
        var app = args.Get("app") ?? "default";
        var connection = args.Get("connection") ?? NullIfEmpty(Environment.GetEnvironmentVariable(ConnectionVariable));
        if (StoreKind(args) == "sqlite")
        {
            var path = args.Get("sqlite") ?? connection
                ?? throw new UsageException($"No SQLite file: pass --sqlite PATH (or --store sqlite with --connection PATH or {ConnectionVariable}).");
            // Never create a database by looking at it: a typo must not leave an empty file behind. A path that came
            // from --connection or DISTCRON_CONNECTION is not echoed: it may well be a PostgreSQL connection string.
            if (!File.Exists(path))
            {
                throw new StoreUnreachableException(args.Has("sqlite")
                    ? $"The SQLite file '{path}' does not exist."
                    : $"The SQLite file named by {(args.Has("connection") ? "--connection" : ConnectionVariable)} does not exist " +
                      "(its text is not shown: with --store sqlite it must be a file path, not a connection string).");
            }

            return DistCronClient.ForSqlite(path, app);
        }

        if (connection is null) throw new UsageException($"No connection: pass --connection, set {ConnectionVariable}, or use --sqlite PATH.");
        return DistCronClient.ForPostgres(connection, Schema(args), app);
    }

    private static string StoreKind(CliArguments args)
    {
        var store = args.Get("store");
        if (store is null) return args.Has("sqlite") ? "sqlite" : "postgres";
        if (store is not ("postgres" or "sqlite")) throw new UsageException($"Unknown store '{Secrets.Shown(store)}': use postgres or sqlite.");
        if (store == "postgres" && args.Has("sqlite")) throw new UsageException("--sqlite cannot be combined with --store postgres.");
        return store;
    }

    private static string Schema(CliArguments args) => args.Get("schema") ?? "distcron";

    /// <summary>Turns "no DistCron tables here" into a clear store error; other failures pass through.</summary>
    private static async Task<T> Guard<T>(Task<T> task)
    {
        try
        {
            return await task;
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.InvalidSchemaName)
        {
            throw new StoreUnreachableException($"The PostgreSQL database has no DistCron tables in this schema ({ex.MessageText}). Check --schema, or apply 'distcron sql'.");
        }
        catch (SqliteException ex) when (ex.Message.Contains("no such table", StringComparison.OrdinalIgnoreCase))
        {
            throw new StoreUnreachableException("The SQLite file holds no DistCron tables. Check the path, or apply 'distcron sql --store sqlite'.");
        }
        catch (NpgsqlException ex) when (ex is not PostgresException)
        {
            throw new StoreUnreachableException($"Cannot connect to PostgreSQL: {Describe(ex)}");
        }
    }

    private static async Task Guard(Task task) => await Guard(Wrap(task));

    private static async Task<bool> Wrap(Task task)
    {
        await task;
        return true;
    }

    /// <summary>Exception text without the connection string: type-specific messages, first line only.</summary>
    public static string Describe(Exception ex)
    {
        var message = ex.Message;
        if (ex.InnerException is { } inner && !string.IsNullOrWhiteSpace(inner.Message)) message += " " + inner.Message;
        var line = message.Split('\n')[0].Trim();
        return line.Length > 300 ? line[..300] + "…" : line;
    }

    // ---------------------------------------------------------------- arguments

    private static void ExpectPositional(CliArguments args, int count)
    {
        if (args.Positional.Count != count) throw new UsageException($"'{args.Command}' takes no argument (got '{Secrets.Shown(args.Positional[count])}').");
    }

    private static string JobName(CliArguments args) => args.Positional.Count switch
    {
        1 => NotAConnectionString(args.Positional[0]),
        0 => throw new UsageException($"'{args.Command}' needs a job name: distcron {args.Command} <job>."),
        _ => throw new UsageException($"'{args.Command}' takes one job name."),
    };

    // A connection string typed where a job name goes (--connection forgotten) must not be echoed by "no job named …".
    private static string NotAConnectionString(string jobName) =>
        Secrets.Shown(jobName) == jobName ? jobName : throw new UsageException("The job name looks like a connection string (it is not shown); pass the connection with --connection.");

    private static int Int(CliArguments args, string option, int fallback, int min, int max)
    {
        var text = args.Get(option);
        if (text is null) return fallback;
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            throw new UsageException($"--{option} must be a whole number from {min} to {max} (got '{Secrets.Shown(text)}').");
        }

        return value;
    }

    private static long? Long(CliArguments args, string option)
    {
        var text = args.Get(option);
        if (text is null) return null;
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < 1)
        {
            throw new UsageException($"--{option} must be a run id (a positive whole number), got '{Secrets.Shown(text)}'.");
        }

        return value;
    }

    private static RunStatus? Status(CliArguments args)
    {
        var text = args.Get("status");
        if (text is null) return null;
        foreach (var status in Enum.GetValues<RunStatus>())
        {
            if (string.Equals(status.ToString(), text, StringComparison.OrdinalIgnoreCase)) return status;
        }

        throw new UsageException($"--status must be succeeded, failed, timedout or skipped (got '{Secrets.Shown(text)}').");
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    // ---------------------------------------------------------------- output

    private static void Write<T>(TextWriter output, T value) => output.WriteLine(JsonSerializer.Serialize(value, Json));

    private static void WriteJobs(TextWriter output, IReadOnlyList<JobRow> jobs, DateTimeOffset now)
    {
        if (jobs.Count == 0)
        {
            output.WriteLine("No jobs. Jobs appear when a node of this app starts (check --app and --schema).");
            return;
        }

        Table.Write(output, ["JOB", "SCHEDULE", "TIME ZONE", "NEXT DUE (UTC)", "STATE", "LAST FINISHED (UTC)", "LAST STATUS", "LAST NODE", "LAST ERROR"],
            jobs.Select(j => new[]
            {
                j.Name, j.Schedule, j.TimeZone, Time(j.NextDueAt), State(j, now), Time(j.LastFinishedAt),
                j.LastStatus?.ToString() ?? "-", j.LastNode ?? "-", Short(j.Error ?? j.LastError),
            }));
    }

    private static string State(JobRow job, DateTimeOffset now)
    {
        var states = new List<string>();
        if (job.Error is not null) states.Add("errored");
        if (job.Paused) states.Add("paused");
        if (job.Orphaned) states.Add("orphaned");
        if (job.OwnerNode is not null && job.LeaseUntil > now) states.Add("running");
        return states.Count == 0 ? "scheduled" : string.Join(",", states);
    }

    private static void WriteHistory(TextWriter output, IReadOnlyList<RunRecord> runs, int limit)
    {
        if (runs.Count == 0)
        {
            output.WriteLine("No runs.");
            return;
        }

        Table.Write(output, ["ID", "JOB", "OCCURRENCE (UTC)", "ATTEMPT", "STATUS", "MANUAL", "NODE", "FINISHED (UTC)", "DURATION", "ERROR"],
            runs.Select(r => new[]
            {
                r.Id.ToString(CultureInfo.InvariantCulture), r.JobName, Time(r.OccurrenceAt), r.Attempt.ToString(CultureInfo.InvariantCulture),
                r.Status.ToString(), r.IsManualTrigger ? "yes" : "no", r.NodeId, Time(r.FinishedAt),
                r.Duration.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture) + " s",
                Short(r.ErrorType is null ? r.ErrorMessage : $"{r.ErrorType}: {r.ErrorMessage}"),
            }));
        if (runs.Count == limit) output.WriteLine($"More may exist: add --before {runs[^1].Id.ToString(CultureInfo.InvariantCulture)}");
    }

    private static void WriteNodes(TextWriter output, IReadOnlyList<NodeRow> nodes, DateTimeOffset now)
    {
        if (nodes.Count == 0)
        {
            output.WriteLine("No nodes registered.");
            return;
        }

        Table.Write(output, ["NODE", "HOST", "PID", "STARTED (UTC)", "LAST HEARTBEAT", "JOBS"],
            nodes.Select(n => new[]
            {
                n.NodeId, n.Host, n.ProcessId.ToString(CultureInfo.InvariantCulture), Time(n.StartedAt),
                $"{Math.Max(0, (now - n.HeartbeatAt).TotalSeconds):0} s ago", n.JobNames.Count.ToString(CultureInfo.InvariantCulture),
            }));
    }

    private static string Time(DateTimeOffset? time) =>
        time?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) ?? "-";

    private static string Short(string? text)
    {
        if (string.IsNullOrEmpty(text)) return "-";
        var line = text.ReplaceLineEndings(" ");
        return line.Length > 60 ? line[..59] + "…" : line;
    }
}

/// <summary>The store cannot be reached or has no DistCron schema: exit code 4.</summary>
internal sealed class StoreUnreachableException(string message) : Exception(message);
