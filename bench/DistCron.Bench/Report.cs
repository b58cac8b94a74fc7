using System.Globalization;
using System.Text;

namespace DistCron.Bench;

/// <summary>The markdown table: absolute figures and the ratios the targets are stated in, all from the same run.</summary>
internal static class Report
{
    public static string Line(Result r) => r.Phase switch
    {
        "takeover" => $"takeover {F(r.TakeoverSeconds, "0.00")} s {r.Note}",
        "idle" => $"{PerNodeMinute(r, r.Statements)} stmt/node/min, {PerNodeMinute(r, r.Transactions)} xact/node/min, cpu {F(r.CpuPerNode * 100, "0.0")}%/node {r.Note}",
        _ => $"{r.Throughput:0} occ/s ({r.Completed} in {r.Seconds:0.0}s), lag p50/p99/max {F(r.LagP50, "0")}/{F(r.LagP99, "0")}/{F(r.LagMax, "0")} ms, " +
             $"{PerOcc(r, r.Statements)} stmt/occ, {PerOcc(r, r.Transactions)} xact/occ, cpu {F(r.CpuPerNode * 100, "0.0")}%/node {r.Note}",
    };

    public static string Render(BenchOptions o, List<Result> results, TimeSpan elapsed)
    {
        var s = new StringBuilder();
        s.AppendLine($"Machine: {Environment.ProcessorCount} cpus ({Machine.CpuModel()}), {Machine.MemoryGiB()} GiB; PostgreSQL {PgVersion()}; .NET {Environment.Version}; run took {elapsed.TotalSeconds:0} s");
        s.AppendLine();
        s.AppendLine($"Throughput: {o.Jobs} no-op every-second jobs (offered {o.Jobs}/s; ceiling = infinite demand), concurrency {o.Concurrency} per node (pgbench clients = nodes × {o.Concurrency}), {o.Measure} s window after {o.Warmup} s warm-up.");
        s.AppendLine();
        s.AppendLine("| nodes | contender | occ/s | × ceiling | × Quartz | stmt/occ | xact/occ | CPU/node (% of a core) | note |");
        s.AppendLine("|---:|---|---:|---:|---:|---:|---:|---:|---|");
        foreach (var n in o.Nodes)
        {
            var row = results.Where(r => r.Nodes == n && r.Phase == "throughput").ToList();
            var ceiling = row.FirstOrDefault(r => r.Contender == "ceiling")?.Throughput;
            var quartz = row.FirstOrDefault(r => r.Contender == "quartz")?.Throughput;
            foreach (var r in row)
            {
                s.AppendLine($"| {n} | {r.Contender} | {r.Throughput:0} | {Ratio(r.Throughput, ceiling)} | {Ratio(r.Throughput, quartz)} | " +
                             $"{PerOcc(r, r.Statements)} | {PerOcc(r, r.Transactions)} | {F(r.CpuPerNode * 100, "0")} | {r.Note} |");
            }
        }

        s.AppendLine();
        s.AppendLine($"Start lag (entry − scheduled instant): {(o.Smoke ? o.Jobs : o.LagJobs)} every-second jobs, all due at the same second; {Math.Max(o.Concurrency, o.LagConcurrency)} slots per node (DistCron MaxConcurrentJobs, Quartz thread pool and batch size).");
        s.AppendLine();
        s.AppendLine("| nodes | contender | p50 ms | p99 ms | max ms | occ/s | CPU/node % | note |");
        s.AppendLine("|---:|---|---:|---:|---:|---:|---:|---|");
        foreach (var r in results.Where(r => r.Phase == "lag"))
            s.AppendLine($"| {r.Nodes} | {r.Contender} | {F(r.LagP50, "0.0")} | {F(r.LagP99, "0.0")} | {F(r.LagMax, "0.0")} | {r.Throughput:0} | {F(r.CpuPerNode * 100, "0")} | {r.Note} |");

        s.AppendLine();
        s.AppendLine($"Idle: {o.Jobs} jobs, none due (yearly schedule), {o.Measure * 3} s window. DistCron: default options (poll 5 s, lease 30 s). Takeover: SIGKILL of the node running a long job (DistCron lease {o.Lease} s, heartbeat lease/3; Quartz check-in {5} s).");
        s.AppendLine();
        s.AppendLine("| nodes | contender | statements/node/min | transactions/node/min | CPU/node % | takeover s | note |");
        s.AppendLine("|---:|---|---:|---:|---:|---:|---|");
        foreach (var r in results.Where(r => r.Phase is "idle" or "takeover"))
        {
            s.AppendLine(r.Phase == "idle"
                ? $"| {r.Nodes} | {r.Contender} | {PerNodeMinute(r, r.Statements)} | {PerNodeMinute(r, r.Transactions)} | {F(r.CpuPerNode * 100, "0.0")} | | {r.Note} |"
                : $"| {r.Nodes} | {r.Contender} | | | | {F(r.TakeoverSeconds, "0.00")} | {r.Note} |");
        }

        s.AppendLine();
        s.AppendLine($"Statement mix at {o.Nodes.Max()} node(s) (pg_stat_statements, whole phase incl. warm-up and startup):");
        foreach (var r in results.Where(r => r.Mix.Length > 0))
        {
            s.AppendLine($"  {r.Contender} {r.Phase}:");
            s.Append(r.Mix);
        }

        return s.ToString();
    }

    private static string PgVersion()
    {
        try { return DistCron.Tests.Infrastructure.ProcessRunner.Run("pg_config", ["--version"], TimeSpan.FromSeconds(10)).Output.Trim(); }
        catch (System.ComponentModel.Win32Exception) { return "?"; }
    }

    private static string Ratio(double value, double? reference) =>
        reference is > 0 ? (value / reference.Value).ToString("0.00", CultureInfo.InvariantCulture) + "×" : "–";

    private static string PerOcc(Result r, long count) => r.Completed > 0 ? ((double)count / r.Completed).ToString("0.00", CultureInfo.InvariantCulture) : "–";

    private static string PerNodeMinute(Result r, long count) => r.Seconds > 0 || r.Phase == "idle"
        ? (count / (double)r.Nodes / (IdleSeconds(r) / 60.0)).ToString("0.0", CultureInfo.InvariantCulture) : "–";

    private static double IdleSeconds(Result r) => r.Seconds > 0 ? r.Seconds : double.NaN;

    private static string F(double v, string format) => double.IsNaN(v) ? "–" : v.ToString(format, CultureInfo.InvariantCulture);
}
