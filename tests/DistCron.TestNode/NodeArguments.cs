using System.Globalization;

namespace DistCron.TestNode;

/// <summary>Which store the node coordinates through.</summary>
public enum StoreKind
{
    /// <summary>PostgreSQL; the audit table is <c>public.audit_runs</c> in the same database.</summary>
    Postgres,

    /// <summary>One SQLite file; the audit table lives in a second file beside it (see <see cref="NodeArguments.AuditPath"/>).</summary>
    Sqlite,
}

/// <summary>The command line of a test node. Every error names the option and what is expected.</summary>
public sealed record NodeArguments(
    StoreKind Store,
    string Connection,
    string App,
    int Jobs,
    string NodeId,
    TimeSpan ClockSkew,
    TimeSpan Lease,
    TimeSpan Heartbeat,
    TimeSpan Poll,
    TimeSpan MisfireThreshold,
    TimeSpan MinWork,
    TimeSpan MaxWork,
    int? ParentProcessId,
    int? Release = null)
{
    public const string Usage =
        "usage: DistCron.TestNode --store postgres|sqlite --connection <connection string | sqlite file> --app <name>\n" +
        "       [--jobs N=10] [--node-id <id>] [--clock-skew <seconds, may be negative>=0] [--lease <s>=5]\n" +
        "       [--heartbeat <s>=1] [--poll <s>=1] [--misfire-threshold <s>=60] [--work-ms <min>-<max>=100-300]\n" +
        "       [--parent-pid <pid>: exit when that process is gone, so a killed harness leaves no node behind]\n" +
        "       [--release <n>=none: the deployment version; odd releases run the every-second jobs every second, even\n" +
        "        ones every 2 s (same names, another definition hash); a rolling deploy starts nodes of the next release]";

    /// <summary>For SQLite, the audit rows go to <c>&lt;file&gt;.audit</c>: outside DistCron's own file and locks.</summary>
    public string AuditPath => Store == StoreKind.Sqlite ? Connection + ".audit" : Connection;

    public static NodeArguments Parse(IReadOnlyList<string> args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i++)
        {
            var key = args[i];
            if (!key.StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Count)
            {
                throw new ArgumentException($"expected '--option value' at '{key}'.\n{Usage}");
            }

            values[key[2..]] = args[++i];
        }

        string Required(string name) =>
            values.Remove(name, out var value) && value.Length > 0
                ? value
                : throw new ArgumentException($"--{name} is required.\n{Usage}");

        string? Optional(string name) => values.Remove(name, out var value) ? value : null;

        double Number(string name, double fallback, double min, double max)
        {
            var text = Optional(name);
            if (text is null) return fallback;
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
            {
                throw new ArgumentException($"--{name} must be a number between {min} and {max}, got '{text}'.");
            }

            return value;
        }

        var store = Required("store") switch
        {
            "postgres" => StoreKind.Postgres,
            "sqlite" => StoreKind.Sqlite,
            var other => throw new ArgumentException($"--store must be 'postgres' or 'sqlite', got '{other}'."),
        };
        var connection = Required("connection");
        var app = Required("app");
        var jobs = (int)Number("jobs", 10, 0, 10_000);
        var nodeId = Optional("node-id") ?? $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}";
        var skew = TimeSpan.FromSeconds(Number("clock-skew", 0, -86_400, 86_400));
        var lease = TimeSpan.FromSeconds(Number("lease", 5, 0.5, 3_600));
        var heartbeat = TimeSpan.FromSeconds(Number("heartbeat", 1, 0.1, 3_600));
        var poll = TimeSpan.FromSeconds(Number("poll", 1, 0.05, 3_600));
        var misfireThreshold = TimeSpan.FromSeconds(Number("misfire-threshold", 60, 0.1, 86_400));
        var work = (Optional("work-ms") ?? "100-300").Split('-');
        if (work.Length != 2
            || !int.TryParse(work[0], CultureInfo.InvariantCulture, out var minWork)
            || !int.TryParse(work[1], CultureInfo.InvariantCulture, out var maxWork)
            || minWork < 0 || maxWork < minWork)
        {
            throw new ArgumentException("--work-ms must be '<min>-<max>' milliseconds with 0 <= min <= max, e.g. 100-300.");
        }

        int? parent = Optional("parent-pid") is { } parentText
            ? int.TryParse(parentText, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid > 0
                ? pid
                : throw new ArgumentException($"--parent-pid must be a process id, got '{parentText}'.")
            : null;

        int? release = Optional("release") is { } releaseText
            ? int.TryParse(releaseText, NumberStyles.None, CultureInfo.InvariantCulture, out var r) && r > 0
                ? r
                : throw new ArgumentException($"--release must be a positive integer, got '{releaseText}'.")
            : null;

        if (heartbeat * 2 >= lease)
        {
            throw new ArgumentException($"--heartbeat ({heartbeat.TotalSeconds}s) must be less than half of --lease ({lease.TotalSeconds}s).");
        }

        if (values.Count > 0)
        {
            throw new ArgumentException($"unknown option(s): {string.Join(", ", values.Keys.Select(k => "--" + k))}.\n{Usage}");
        }

        return new NodeArguments(store, connection, app, jobs, nodeId, skew, lease, heartbeat, poll, misfireThreshold,
            TimeSpan.FromMilliseconds(minWork), TimeSpan.FromMilliseconds(maxWork), parent, release);
    }
}
