using System.Globalization;

namespace DistCron.Bench;

/// <summary>The harness's command line. Anything it does not know is an error: a mistyped option silently ignored
/// would run a quarter of an hour of the wrong benchmark.</summary>
internal sealed record BenchOptions(bool Smoke, int[] Nodes, int Jobs, int LagJobs, int Concurrency, int Warmup, int Measure,
    double Lease, string[] Contenders, string? Output, int LagConcurrency)
{
    private static readonly string[] Flags = ["--smoke"];
    private static readonly string[] Valued =
        ["--nodes", "--contenders", "--jobs", "--lag-jobs", "--concurrency", "--lag-concurrency", "--warmup", "--window", "--lease", "--out"];
    private static readonly string[] KnownContenders = ["distcron", "quartz", "ceiling", "ceiling-1"];

    public const string Usage = """
        usage: dotnet run -c Release --project bench/DistCron.Bench -- [options]   (docs/benchmarks.md)
          --smoke                  a few seconds per contender: checks the harness end to end
          --nodes 1,2,4,8          node counts to measure
          --contenders LIST        of distcron,quartz,ceiling,ceiling-1
          --jobs 4000              every-second jobs in the throughput and idle phases
          --lag-jobs 100           jobs due at the same second in the start-lag phase
          --concurrency 16         slots per node (throughput); --lag-concurrency 100 in the lag phase
          --warmup 20              seconds before each window (longer until the JIT settled)
          --window 10              seconds measured
          --lease 5                DistCron's lease in the takeover phase (seconds)
          --out FILE               also write the report to FILE
        """;

    /// <summary>Parses <paramref name="args"/>; throws <see cref="ArgumentException"/> naming the bad argument.</summary>
    public static BenchOptions Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var smoke = false;
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            if (Flags.Contains(name)) smoke = true;
            else if (!Valued.Contains(name))
            {
                throw new ArgumentException($"unknown option '{name}'. Valid options: {string.Join(", ", Flags.Concat(Valued))}.");
            }
            else if (i + 1 >= args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                throw new ArgumentException($"option '{name}' needs a value.");
            }
            else values[name] = args[++i];
        }

        string? Get(string name) => values.GetValueOrDefault(name);
        var contenders = (Get("--contenders") ?? (smoke ? "distcron,quartz,ceiling" : "distcron,quartz,ceiling,ceiling-1")).Split(',');
        if (contenders.FirstOrDefault(c => !KnownContenders.Contains(c)) is { } unknown)
        {
            throw new ArgumentException($"unknown contender '{unknown}' in --contenders. Valid contenders: {string.Join(", ", KnownContenders)}.");
        }

        return new BenchOptions(
            smoke,
            (Get("--nodes") ?? (smoke ? "1" : "1,2,4,8")).Split(',').Select(n => Positive("--nodes", n)).ToArray(),
            Positive("--jobs", Get("--jobs") ?? (smoke ? "20" : "4000")),
            Positive("--lag-jobs", Get("--lag-jobs") ?? (smoke ? "10" : "100")),
            Positive("--concurrency", Get("--concurrency") ?? "16"),
            // Long enough for node processes sharing the cores with PostgreSQL to be past most of their tier-1 JIT work
            // (JitSettledAsync waits for the rest): steady state is what the figures claim (docs/benchmarks.md).
            Positive("--warmup", Get("--warmup") ?? (smoke ? "2" : "20")),
            Positive("--window", Get("--window") ?? (smoke ? "3" : "10")),
            double.TryParse(Get("--lease") ?? "5", NumberStyles.Float, CultureInfo.InvariantCulture, out var lease) && lease > 0
                ? lease
                : throw new ArgumentException($"--lease must be a positive number of seconds, not '{Get("--lease")}'."),
            contenders,
            Get("--out"),
            Positive("--lag-concurrency", Get("--lag-concurrency") ?? "100"));
    }

    private static int Positive(string option, string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0
            ? value
            : throw new ArgumentException($"{option} must be a positive whole number, not '{text}'.");
}
