// DistCron chaos tool. Runs a fleet of DistCron.TestNode processes against a throwaway PostgreSQL cluster
// (or one SQLite file) with many every-second jobs while it kills, freezes and restarts nodes, restarts the database
// and skews node clocks; then audits every occurrence (rules: tests/DistCron.Fleet/FleetAudit.cs).
// Prints one summary line; exit code 0 = no violation, 1 = violations, 2 = bad arguments, 3 = the harness failed.
using System.Globalization;
using DistCron.Fleet;
using DistCron.Tests.Infrastructure;

const string Usage = """
    usage: dotnet run --project tools/DistCron.Chaos -- [--nodes 5] [--jobs 50] [--duration 300] [--store postgres|sqlite]
                                                       [--seed N] [--work-dir DIR] [--short]
      --short   at most 2 minutes: 3 nodes x 10 jobs, 60 s of chaos (explicit options still win)
    """;

ChaosArguments arguments;
try
{
    arguments = ChaosArguments.Parse(args);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    Console.Error.WriteLine(Usage);
    return 2;
}

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true; // finish through the normal path: the fleet's processes are killed on the way out
    cancel.Cancel();
};

var workDirectory = arguments.WorkDirectory ?? Path.Combine(Path.GetTempPath(), $"distcron-chaos-{arguments.Seed}-{Environment.ProcessId}");
Directory.CreateDirectory(workDirectory);
PostgresServer? server = null;
try
{
    FleetStore store;
    PostgresControl? database = null;
    if (arguments.Store == "postgres")
    {
        // Crash-safe: the run restarts PostgreSQL in immediate mode, and a server that acknowledges commits before they
        // are on disk (synchronous_commit = off) loses the last ones, which the audit then reports as lost or phantom
        // runs that did happen. The audit fails when the server is not crash-safe.
        // Lock waits and slow statements go to the server log, copied beside the node logs at the end: a lease lost by
        // a live node is explained by what held its heartbeat.
        server = await PostgresServer.StartAsync(crashSafe: true, extraSettings: """
            log_lock_waits = on
            deadlock_timeout = 500ms
            log_min_duration_statement = 1000
            log_line_prefix = '%m [%p] %a '
            """);
        store = new PostgresFleetStore(await server.CreateDatabaseAsync("chaos"));
        database = new PostgresControl(server.BinDirectory, Path.Combine(server.RootDirectory, "data"), Path.Combine(server.RootDirectory, "server.log"));
    }
    else
    {
        store = new SqliteFleetStore(Path.Combine(workDirectory, "distcron.db"));
    }

    var options = new ChaosOptions(store, arguments.Nodes, arguments.Jobs, TimeSpan.FromSeconds(arguments.DurationSeconds),
        workDirectory, arguments.Seed, database) { Log = Console.Out };
    var report = await ChaosRun.RunAsync(options, cancel.Token);
    if (!report.Passed)
    {
        Console.WriteLine(report.Describe(50));
        Console.WriteLine($"node logs: {Path.Combine(workDirectory, "logs")}");
    }

    Console.WriteLine($"chaos {(report.Passed ? "PASSED" : "FAILED")} store={arguments.Store} nodes={arguments.Nodes} jobs={arguments.Jobs} " +
                      $"duration={arguments.DurationSeconds}s seed={arguments.Seed}: {report.Summary}");
    return report.Passed ? 0 : 1;
}
catch (OperationCanceledException) when (cancel.IsCancellationRequested)
{
    Console.Error.WriteLine("chaos run cancelled; every node process was killed.");
    return 130;
}
catch (Exception ex) when (ex is not OutOfMemoryException)
{
    Console.Error.WriteLine($"chaos run could not complete: {ex}");
    Console.Error.WriteLine($"node logs: {Path.Combine(workDirectory, "logs")}");
    return 3;
}
finally
{
    CopyServerLog(server, workDirectory);
    server?.Stop();
}

static void CopyServerLog(PostgresServer? server, string workDirectory)
{
    if (server is null) return;
    try
    {
        var logs = Path.Combine(workDirectory, "logs");
        Directory.CreateDirectory(logs);
        File.Copy(Path.Combine(server.RootDirectory, "server.log"), Path.Combine(logs, "postgres.log"), overwrite: true);
    }
    catch (IOException)
    {
    }
    catch (UnauthorizedAccessException)
    {
    }
}

internal sealed record ChaosArguments(int Nodes, int Jobs, int DurationSeconds, string Store, int Seed, string? WorkDirectory)
{
    public static ChaosArguments Parse(string[] args)
    {
        var isShort = args.Contains("--short");
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var rest = args.Where(a => a != "--short").ToArray();
        for (var i = 0; i < rest.Length; i += 2)
        {
            if (!rest[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= rest.Length)
            {
                throw new ArgumentException($"expected '--option value' at '{rest[i]}'");
            }

            values[rest[i][2..]] = rest[i + 1];
        }

        int Int(string name, int fallback, int min, int max)
        {
            if (!values.Remove(name, out var text)) return fallback;
            return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
                ? value
                : throw new ArgumentException($"--{name} must be an integer between {min} and {max}, got '{text}'");
        }

        var nodes = Int("nodes", isShort ? 3 : 5, 2, 64);
        var jobs = Int("jobs", isShort ? 10 : 50, 1, 5_000);
        var duration = Int("duration", isShort ? 60 : 300, 10, 86_400);
        var seed = Int("seed", Random.Shared.Next(1, 1_000_000), 0, int.MaxValue);
        var store = values.Remove("store", out var s) ? s : "postgres";
        if (store is not ("postgres" or "sqlite")) throw new ArgumentException($"--store must be postgres or sqlite, got '{store}'");
        values.Remove("work-dir", out var workDirectory);
        if (values.Count > 0) throw new ArgumentException($"unknown option(s): {string.Join(", ", values.Keys.Select(k => "--" + k))}");
        if (isShort && duration > 75) throw new ArgumentException("--short keeps the whole run under 2 minutes: --duration must be at most 75");
        return new ChaosArguments(nodes, jobs, duration, store, seed, workDirectory);
    }
}
