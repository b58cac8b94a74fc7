using System.Globalization;

namespace DistCron.Sample;

/// <summary>The sample's command line. Bad input stops it with a message saying what to type instead.</summary>
public sealed record SampleArguments(int Nodes, string? Postgres, TimeSpan? RunFor, string DatabasePath, int? NodeIndex, bool Telemetry = false,
    int? DashboardPort = SampleArguments.DefaultDashboardPort)
{
    public const string Usage = """
        DistCron sample: a web site's scheduled chores (sitemap, temp-file cleanup, traffic report, search sync).

          dotnet run --project samples/DistCron.Sample [-- options]

          --nodes <n>            run n nodes as separate processes on the same database (default 1, in this process)
          --postgres "<conn>"    use PostgreSQL instead of the SQLite file
          --db <path>            SQLite file (default ./.distcron/sample.db)
          --run-for <seconds>    stop by itself after that many seconds (default: until Ctrl+C)
          --telemetry            print DistCron's spans and metrics with the OpenTelemetry console exporter
          --dashboard-port <n>   the dashboard's port on 127.0.0.1 (default 5080, or a free one if taken; 0: any free port)
          --no-dashboard         do not serve the dashboard
        """;

    /// <summary>The dashboard's port unless told otherwise (another free port when it is taken).</summary>
    public const int DefaultDashboardPort = 5080;

    /// <summary>Internal: set on the child processes that <c>--nodes</c> starts.</summary>
    public const string NodeIndexFlag = "--node-index";

    public static SampleArguments Parse(IReadOnlyList<string> args)
    {
        int nodes = 1;
        string? postgres = null;
        TimeSpan? runFor = null;
        var db = Path.Combine(".distcron", "sample.db");
        int? nodeIndex = null;
        var telemetry = false;
        int? dashboardPort = DefaultDashboardPort;

        for (var i = 0; i < args.Count; i++)
        {
            string Value() => i + 1 < args.Count ? args[++i] : throw new UsageException($"'{args[i]}' needs a value.");
            switch (args[i])
            {
                case "--nodes":
                    nodes = PositiveInt(Value(), "--nodes", 1, 32);
                    break;
                case "--postgres":
                    postgres = Value();
                    if (string.IsNullOrWhiteSpace(postgres)) throw new UsageException("--postgres needs a connection string, e.g. \"Host=localhost;Username=app;Database=app\".");
                    break;
                case "--db":
                    db = Value();
                    break;
                case "--run-for":
                    runFor = TimeSpan.FromSeconds(PositiveInt(Value(), "--run-for", 1, 86_400));
                    break;
                case "--telemetry":
                    telemetry = true;
                    break;
                case "--dashboard-port":
                    dashboardPort = PositiveInt(Value(), "--dashboard-port", 0, 65535);
                    break;
                case "--no-dashboard":
                    dashboardPort = null;
                    break;
                case NodeIndexFlag:
                    nodeIndex = PositiveInt(Value(), NodeIndexFlag, 1, 32);
                    break;
                case "-h" or "--help" or "-?":
                    throw new UsageException(null); // prints usage only
                default:
                    throw new UsageException($"Unknown option '{args[i]}'.");
            }
        }

        return new SampleArguments(nodes, postgres, runFor, Path.GetFullPath(db), nodeIndex, telemetry, dashboardPort);
    }

    /// <summary>The options a child process gets: everything but <c>--nodes</c>, plus its index.</summary>
    public IEnumerable<string> ForChild(int index)
    {
        yield return NodeIndexFlag;
        yield return index.ToString(CultureInfo.InvariantCulture);
        yield return "--db";
        yield return DatabasePath;
        if (Postgres is not null)
        {
            yield return "--postgres";
            yield return Postgres;
        }

        if (Telemetry) yield return "--telemetry";

        // One dashboard for the whole run: node 1 serves it (they all share one database), the others none.
        if (index == 1 && DashboardPort is { } port)
        {
            yield return "--dashboard-port";
            yield return port.ToString(CultureInfo.InvariantCulture);
        }
        else
        {
            yield return "--no-dashboard";
        }

        if (RunFor is { } runFor)
        {
            yield return "--run-for";
            yield return ((int)runFor.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        }
    }

    private static int PositiveInt(string text, string option, int min, int max) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw new UsageException($"{option} takes a whole number from {min} to {max}, not '{text}'.");
}

/// <summary>The command line is wrong: print the message (if any) and the usage.</summary>
public sealed class UsageException(string? problem) : Exception(problem ?? "")
{
    public string? Problem { get; } = problem;
}
