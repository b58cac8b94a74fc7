using System.CommandLine;
using DistCron.Json;
using DistCron.Storage;

namespace DistCron.Cli;

/// <summary>The tool's commands, each a few lines over <see cref="DistCronClient"/>.</summary>
internal static class Commands
{
    public const string Usage = $$"""
        distcron - operate DistCron jobs from the command line

        Usage: distcron <command> [job] [options]        (distcron <command> --help: that command's options)

        Commands:
          jobs                      List jobs: schedule, time zone, next due time, state, last run
          history [job]             Run history, newest first (every job when no job is given)
                 [--limit N]        Page size, 1-1000 (default 20)
                 [--status S]       Only runs with status succeeded|failed|timedout|skipped
                 [--before ID]      Only runs with an id below ID (the next page)
          trigger <job>             Run the job once now (paused or not; its schedule is unchanged)
                 [--reason TEXT]    Why (written to the audit trail with your OS user name)
          pause <job>               Stop scheduling the job (a run in progress finishes)
                 [--reason TEXT]    Why (shown with the job; audited)
                 [--until WHEN]     Resume by itself after WHEN: 2026-01-31T18:00Z, or a span from now (90m, 4h, 2d)
          resume <job>              Resume at the next occurrence after the database's now
                 [--reason TEXT]    Why (audited)
          audit [job]               Who paused, resumed or triggered which job, when and why, newest first
                 [--limit N]        Page size, 1-1000 (default 20)
                 [--before ID]      Only rows with an id below ID (the next page)
          remove <job>              Delete a job no live node has code for (a deleted or renamed job)
                 [--history]        Also delete its run history
                 [--live-window S]  A node is live while its heartbeat is this recent (default 90 s: 3 leases)
          stats [job]               Runs and failures per minute of the last hour (database clock); with a job,
                                    p50/p95 (nearest rank) of its last runs' durations
                 [--runs N]         With a job: how many of its last runs, 1-1000 (default 100)
          nodes                     List registered nodes
          apps                      List the apps the database holds
        {{Dashboard.DashboardCommand.UsageLines}}
          sql [--store postgres|sqlite] [--schema NAME]
                                    Print the schema DDL (no connection needed)

        Connection (every command but sql):
          --connection CS           PostgreSQL connection string (default: environment variable DISTCRON_CONNECTION)
          --sqlite PATH             Use this SQLite database file instead
          --store postgres|sqlite   Store kind; with sqlite, --connection (or DISTCRON_CONNECTION) is the file path
          --schema NAME             PostgreSQL schema (default distcron)
          --app NAME                Application: DistCronOptions.App of its nodes (default default; see 'distcron apps')
          --timeout SECONDS         Give up connecting, and each statement, after this long

        Output (every command but sql):
          --json                    One JSON document (format version, database time, complete records); errors too

        Exit codes: 0 ok, 1 error, 2 usage, 3 job or app not found, 4 store unreachable or without DistCron schema,
        5 refused, 6 statement timed out (connected, but --timeout passed).
        The connection string is never printed.
        """;

    public static async Task<int> RunAsync(CliDefinition cli, ParseResult parse, TextWriter output, CancellationToken cancellationToken)
    {
        var command = parse.CommandResult.Command.Name;
        if (command == "sql")
        {
            output.WriteLine(DistCronClient.GetSchemaSql(StoreConnection.StoreKind(cli, parse), StoreConnection.Schema(cli, parse)));
            return ExitCodes.Ok;
        }

        if (command == Dashboard.DashboardCommand.Name) return await Dashboard.DashboardCommand.RunAsync(cli, parse, output, cancellationToken);

        var json = parse.GetValue(cli.Json);
        var job = command switch
        {
            "history" or "audit" or "stats" => Named(parse.GetValue(cli.HistoryJob)),
            "trigger" or "pause" or "resume" or "remove" => JobName(command, parse.GetValue(cli.Job)),
            _ => null,
        };
        await using var store = StoreConnection.Open(cli, parse);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, store.Deadline);
        var ct = linked.Token;
        var client = store.Client;
        var app = client.App;
        var now = await store.ConnectAsync(client.GetDatabaseTimeAsync(ct));
        try
        {
            switch (command)
            {
                case "jobs":
                {
                    var jobs = await store.RunAsync(client.ListJobsAsync(ct));
                    if (jobs.Count == 0) await EnsureAppAsync(store, app, ct);
                    if (json) output.WriteLine(JsonContract.JobsDocument(app, now, jobs));
                    else TextOutput.Jobs(output, app, jobs, now);
                    return ExitCodes.Ok;
                }

                case "history":
                {
                    var query = new HistoryQuery(Limit: parse.GetValue(cli.Limit) ?? 20, BeforeId: parse.GetValue(cli.Before), Status: parse.GetValue(cli.Status));
                    var runs = await store.RunAsync(client.GetHistoryAsync(job, query, ct));
                    if (runs.Count == 0 && job is null) await EnsureAppAsync(store, app, ct);
                    if (json)
                    {
                        output.WriteLine(JsonContract.HistoryDocument(app, now, runs, query.Limit));
                    }
                    else
                    {
                        TextOutput.History(output, runs, query.Limit);
                    }

                    return ExitCodes.Ok;
                }

                case "trigger" or "pause" or "resume":
                {
                    var name = job ?? throw NeedsJob(command);
                    DateTimeOffset? next = null;
                    // The actor is the OS user who ran the command: what the audit trail can honestly say about a CLI call.
                    var reason = parse.GetValue(cli.Reason);
                    var actor = Environment.UserName;
                    switch (command)
                    {
                        case "trigger": await store.RunAsync(client.TriggerAsync(name, reason, actor, ct)); break;
                        case "pause": await store.RunAsync(client.PauseAsync(name, reason, parse.GetValue(cli.Until)?.From(now), actor, ct)); break;
                        default: next = await store.RunAsync(client.ResumeAsync(name, reason, actor, ct)); break;
                    }

                    var row = await store.RunAsync(client.GetJobAsync(name, ct));
                    if (json)
                    {
                        output.WriteLine(JsonContract.JobDocument(command, app, now, row));
                    }
                    else
                    {
                        output.WriteLine(command switch
                        {
                            "trigger" => $"Triggered '{name}': it runs once as soon as a node with its code is free.",
                            "pause" when row.PauseUntil is { } until => $"Paused '{name}' until {TextOutput.Time(until)} (a node resumes it then). Resume sooner with 'distcron resume {name}'.",
                            "pause" => $"Paused '{name}'. Resume with 'distcron resume {name}'.",
                            _ => $"Resumed '{name}'; next due {TextOutput.Time(next ?? row.NextDueAt)}.",
                        });
                    }

                    return ExitCodes.Ok;
                }

                case "audit":
                {
                    var query = new AuditQuery(Limit: parse.GetValue(cli.Limit) ?? 20, BeforeId: parse.GetValue(cli.AuditBefore), JobName: job);
                    var rows = await store.RunAsync(client.ListAuditAsync(query, ct));
                    if (json) output.WriteLine(JsonContract.AuditDocument(app, now, rows, query.Limit));
                    else TextOutput.Audit(output, rows, query.Limit);
                    return ExitCodes.Ok;
                }

                case "remove":
                {
                    var name = job ?? throw NeedsJob(command);
                    var deleteHistory = parse.GetValue(cli.DeleteHistory);
                    var runs = await store.RunAsync(client.RemoveJobAsync(name, deleteHistory, ct));
                    if (json)
                    {
                        output.WriteLine(JsonContract.Envelope(command, app, now, "removed",
                            new { job = name, historyDeleted = deleteHistory, runsDeleted = runs }));
                    }
                    else
                    {
                        output.WriteLine(deleteHistory
                            ? $"Removed '{name}' and {runs} run(s) of its history."
                            : $"Removed '{name}'; its history is kept (delete it too with 'distcron remove {name} --history').");
                    }

                    return ExitCodes.Ok;
                }

                case "stats" when job is null:
                {
                    var activity = await store.RunAsync(client.GetRunActivityAsync(ct));
                    if (activity.Runs == 0) await EnsureAppAsync(store, app, ct);
                    if (json) output.WriteLine(JsonContract.StatsDocument(app, now, activity));
                    else TextOutput.Activity(output, activity);
                    return ExitCodes.Ok;
                }

                case "stats":
                {
                    var durations = await store.RunAsync(client.GetDurationStatsAsync(job!, parse.GetValue(cli.Runs) ?? DurationStats.DefaultWindow, ct));
                    if (json) output.WriteLine(JsonContract.JobStatsDocument(app, now, job!, durations));
                    else TextOutput.Durations(output, job!, durations);
                    return ExitCodes.Ok;
                }

                case "nodes":
                {
                    var nodes = await store.RunAsync(client.ListNodesAsync(ct));
                    if (nodes.Count == 0) await EnsureAppAsync(store, app, ct);
                    if (json) output.WriteLine(JsonContract.NodesDocument(app, now, nodes));
                    else TextOutput.Nodes(output, app, nodes, now);
                    return ExitCodes.Ok;
                }

                case "apps":
                {
                    var apps = await store.RunAsync(client.ListAppsAsync(ct));
                    if (json) output.WriteLine(JsonContract.Envelope(command, app, now, "apps", apps));
                    else if (apps.Count == 0) output.WriteLine("No apps yet: an app's jobs appear when its first node starts.");
                    else foreach (var name in apps) output.WriteLine(name);
                    return ExitCodes.Ok;
                }

                default:
                    throw new UsageException($"Unknown command '{Secrets.Shown(command)}'.");
            }
        }
        catch (DistCronJobNotFoundException)
        {
            // "No job named x" in an app the database does not hold is a wrong --app, not a wrong job name.
            await EnsureAppAsync(store, app, ct);
            throw;
        }
    }

    private static async Task EnsureAppAsync(StoreConnection store, string app, CancellationToken ct)
    {
        var apps = await store.RunAsync(store.Client.ListAppsAsync(ct));
        if (!apps.Contains(app, StringComparer.Ordinal)) throw new UnknownAppException(app, apps);
    }

    private static UsageException NeedsJob(string command) => new($"'{command}' needs a job name: distcron {command} <job>.");

    private static string JobName(string command, string? name) =>
        string.IsNullOrEmpty(name) ? throw NeedsJob(command) : NotAConnectionString(name);

    private static string? Named(string? name) => name is null ? null : NotAConnectionString(name);

    // A connection string typed where a job name goes (--connection forgotten) must not be echoed by "no job named …".
    private static string NotAConnectionString(string jobName) =>
        Secrets.Shown(jobName) == jobName ? jobName : throw new UsageException("The job name looks like a connection string (it is not shown); pass the connection with --connection.");
}
