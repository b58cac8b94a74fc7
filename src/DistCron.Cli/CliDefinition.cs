using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using DistCron.Storage;

namespace DistCron.Cli;

/// <summary>
/// The command line, declared with System.CommandLine: each command takes exactly the options that apply to it, so
/// any other option is refused. Values are checked while parsing, with messages that never echo a connection string.
/// </summary>
internal sealed class CliDefinition
{
    public const string ConnectionVariable = "DISTCRON_CONNECTION";

    // ---------------------------------------------------------------- store and output options

    public Option<string?> Connection { get; } = new("--connection")
    {
        HelpName = "CS",
        Description = $"PostgreSQL connection string (default: environment variable {ConnectionVariable})",
    };

    public Option<string?> Sqlite { get; } = new("--sqlite") { HelpName = "PATH", Description = "Use this SQLite database file instead" };

    public Option<string?> Store { get; } = new("--store")
    {
        HelpName = "postgres|sqlite",
        Description = "Store kind; with sqlite, --connection (or DISTCRON_CONNECTION) is the file path",
        CustomParser = r => OneOf(r, "postgres", "sqlite"),
    };

    public Option<string?> Schema { get; } = new("--schema") { HelpName = "NAME", Description = "PostgreSQL schema (default distcron)" };

    public Option<string?> App { get; } = new("--app") { HelpName = "NAME", Description = "Application name, DistCronOptions.App (default default)" };

    public Option<int?> Timeout { get; } = new("--timeout")
    {
        HelpName = "SECONDS",
        Description = "Give up connecting, and each statement, after this many seconds",
        CustomParser = r => WholeNumber(r, 1, 3600),
    };

    public Option<bool> Json { get; } = new("--json") { Description = "Machine-readable JSON (errors too) instead of tables" };

    // ---------------------------------------------------------------- command options

    public Option<int?> Limit { get; } = new("--limit") { HelpName = "N", Description = "Page size, 1-1000 (default 20)", CustomParser = r => WholeNumber(r, 1, HistoryQuery.MaxLimit) };

    public Option<int?> Runs { get; } = new("--runs") { HelpName = "N", Description = "With a job: the last N runs' durations, 1-1000 (default 100)", CustomParser = r => WholeNumber(r, 1, HistoryQuery.MaxLimit) };

    public Option<long?> Before { get; } = new("--before") { HelpName = "ID", Description = "Only runs with an id below ID (the next page)", CustomParser = RunId };

    public Option<RunStatus?> Status { get; } = new("--status") { HelpName = "S", Description = "Only runs with status succeeded|failed|timedout|skipped", CustomParser = RunStatusValue };

    public Option<string?> Reason { get; } = new("--reason") { HelpName = "TEXT", Description = "Why: shown with the job and written to the audit trail" };

    public Option<PauseEnd?> Until { get; } = new("--until")
    {
        HelpName = "WHEN",
        Description = "End the pause by itself at WHEN: a UTC/offset time (2026-01-31T18:00Z) or a span from now (90m, 4h, 2d)",
        CustomParser = UntilValue,
    };

    public Option<long?> AuditBefore { get; } = new("--before") { HelpName = "ID", Description = "Only audit rows with an id below ID (the next page)", CustomParser = RunId };

    public Option<bool> DeleteHistory { get; } = new("--history") { Description = "Also delete the job's run history" };

    public Option<int?> LiveWindow { get; } = new("--live-window")
    {
        HelpName = "SECONDS",
        Description = "A node counts as live while its heartbeat is this recent (default 90: three default leases)",
        CustomParser = r => WholeNumber(r, 1, 7 * 24 * 3600),
    };

    // ---------------------------------------------------------------- commands

    public Argument<string?> HistoryJob { get; } = new("job") { Arity = ArgumentArity.ZeroOrOne, Description = "A job name (every job when omitted)" };

    public Argument<string?> Job { get; } = new("job") { Arity = ArgumentArity.ZeroOrOne, Description = "The job name (case-sensitive)" };

    public RootCommand Root { get; }

    /// <summary>Commands that open a store, by name.</summary>
    public IReadOnlyDictionary<string, Command> StoreCommands { get; }

    /// <summary>Every option name any command takes: one a command does not take is "does not apply", not "unknown".</summary>
    public IReadOnlySet<string> OptionNames { get; }

    public CliDefinition()
    {
        Root = new RootCommand("distcron - operate DistCron jobs from the command line");
        var jobs = StoreCommand("jobs", "List jobs: schedule, time zone, next due time, state, last run");
        var history = StoreCommand("history", "Run history, newest first (every job when no job is given)", HistoryJob, Limit, Status, Before);
        var trigger = StoreCommand("trigger", "Run the job once now (paused or not; its schedule is unchanged)", Job, Reason);
        var pause = StoreCommand("pause", "Stop scheduling the job (a run in progress finishes)", Job, Reason, Until);
        var resume = StoreCommand("resume", "Resume at the next occurrence after the database's now", Job, Reason);
        var audit = StoreCommand("audit", "Who paused, resumed or triggered which job, when and why, newest first", HistoryJob, Limit, AuditBefore);
        var remove = StoreCommand("remove", "Delete a job no live node has code for (a deleted or renamed job)", Job, DeleteHistory, LiveWindow);
        var stats = StoreCommand("stats", "Runs and failures per minute of the last hour; with a job, p50/p95 of its last runs' durations", HistoryJob, Runs);
        var nodes = StoreCommand("nodes", "List registered nodes");
        var apps = StoreCommand("apps", "List the apps the database holds");
        var sql = new Command("sql", "Print the schema DDL (no connection needed)") { Store, Schema };
        var help = new Command("help", "Show this help") { Hidden = true };
        foreach (var command in new[] { jobs, history, trigger, pause, resume, audit, remove, stats, nodes, apps, sql, help }) Root.Add(command);
        Root.Add(Dashboard.DashboardCommand.Define(this));
        StoreCommands = new[] { jobs, history, trigger, pause, resume, audit, remove, stats, nodes, apps }.ToDictionary(c => c.Name, StringComparer.Ordinal);
        OptionNames = new HashSet<string>(Root.Subcommands.SelectMany(c => c.Options).Concat(Root.Options).SelectMany(o => o.Aliases.Append(o.Name)), StringComparer.Ordinal);
    }

    /// <summary>Parses without response files (a job name may start with '@') and without POSIX bundling.</summary>
    public ParseResult Parse(IReadOnlyList<string> args) =>
        Root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null, EnablePosixBundling = false });

    private Command StoreCommand(string name, string description, params Symbol[] own)
    {
        var command = new Command(name, description);
        foreach (var symbol in own)
        {
            if (symbol is Argument argument) command.Add(argument);
            else command.Add((Option)symbol);
        }

        // Every store command but 'apps' (which lists them) works on one app.
        foreach (var option in new Option[] { Connection, Sqlite, Store, Schema, App, Timeout, Json })
        {
            if (option != App || name != "apps") command.Add(option);
        }
        return command;
    }

    // ---------------------------------------------------------------- value parsers (messages never echo a connection string)

    private static string? OneOf(ArgumentResult result, params string[] allowed)
    {
        var text = result.Tokens[0].Value;
        if (allowed.Contains(text, StringComparer.Ordinal)) return text;
        result.AddError($"{OptionName(result)} must be {string.Join(" or ", allowed)} (got '{Secrets.Shown(text)}').");
        return null;
    }

    private static int? WholeNumber(ArgumentResult result, int min, int max)
    {
        var text = result.Tokens[0].Value;
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max) return value;
        result.AddError($"{OptionName(result)} must be a whole number from {min} to {max} (got '{Secrets.Shown(text)}').");
        return null;
    }

    // A time with an explicit offset (a bare local time would depend on the operator's machine), or a span from the
    // database's now (resolved by the command, which reads that clock).
    private static PauseEnd? UntilValue(ArgumentResult result)
    {
        var text = result.Tokens[0].Value.Trim();
        if (text.Length >= 2 && long.TryParse(text[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var count) && count > 0 && count <= 3650 * 24 * 60)
        {
            TimeSpan? span = char.ToLowerInvariant(text[^1]) switch
            {
                's' => TimeSpan.FromSeconds(count),
                'm' => TimeSpan.FromMinutes(count),
                'h' => TimeSpan.FromHours(count),
                'd' => TimeSpan.FromDays(count),
                _ => null,
            };
            if (span is { } after) return new PauseEnd(null, after);
        }

        var hasOffset = text.EndsWith('Z') || text.EndsWith('z') || System.Text.RegularExpressions.Regex.IsMatch(text, @"T.*[+-]\d\d(:?\d\d)?$");
        if (hasOffset && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var at)) return new PauseEnd(at, null);
        result.AddError($"--until must be a time with an offset (2026-01-31T18:00Z, 2026-01-31T19:00+01:00) or a span from now (90m, 4h, 2d); got '{Secrets.Shown(text)}'.");
        return null;
    }

    private static long? RunId(ArgumentResult result)
    {
        var text = result.Tokens[0].Value;
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= 1) return value;
        result.AddError($"--before must be a run id (a positive whole number), got '{Secrets.Shown(text)}'.");
        return null;
    }

    private static RunStatus? RunStatusValue(ArgumentResult result)
    {
        var text = result.Tokens[0].Value;
        foreach (var status in Enum.GetValues<RunStatus>())
        {
            if (string.Equals(status.ToString(), text, StringComparison.OrdinalIgnoreCase)) return status;
        }

        result.AddError($"--status must be succeeded, failed, timedout or skipped (got '{Secrets.Shown(text)}').");
        return null;
    }

    private static string OptionName(ArgumentResult result) => result.Parent is OptionResult option ? option.Option.Name : "The value";
}

/// <summary>When a pause ends: a fixed time, or a span after the database's now.</summary>
internal sealed record PauseEnd(DateTimeOffset? At, TimeSpan? After)
{
    public DateTimeOffset From(DateTimeOffset databaseNow) => At ?? databaseNow + After!.Value;
}
