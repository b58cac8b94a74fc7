using System.Diagnostics;
using System.Globalization;
using System.Text;
using DistCron.Storage.Postgres;
using DistCron.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace DistCron.Bench;

/// <summary>
/// Runs every contender against one throwaway PostgreSQL cluster, same job sets, same node counts, in one run, and
/// prints ratios. Usage: see docs/benchmarks.md ("dotnet run -c Release --project bench/DistCron.Bench -- [--smoke]
/// [--nodes 1,2,4,8] [--jobs 1000] [--contenders distcron,quartz,ceiling,ceiling-1] [--out report.md]").
/// </summary>
internal static class Harness
{
    private const string EverySecond = "* * * * * *";
    private const string Never = "0 0 0 1 1 *"; // once a year: nothing due during an idle measurement

    private static PostgresServer? Server { get; set; }

    public static async Task<int> RunAsync(string[] args)
    {
        BenchOptions o;
        try
        {
            o = BenchOptions.Parse(args);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"bench: {e.Message}");
            Console.Error.WriteLine(BenchOptions.Usage);
            return 2;
        }

        Console.WriteLine($"DistCron bench: {(o.Smoke ? "SMOKE " : "")}nodes {string.Join(',', o.Nodes)}, {o.Jobs} every-second jobs " +
                          $"(lag: {o.LagJobs}), concurrency {o.Concurrency}/node, warm-up {o.Warmup}s, window {o.Measure}s, contenders {string.Join(',', o.Contenders)}");
        Console.WriteLine($"machine: {Environment.ProcessorCount} cpus, {Machine.CpuModel()}, {Machine.MemoryGiB()} GiB");
        var total = Stopwatch.StartNew();
        // Ctrl+C or SIGTERM stops every node process, pgbench and the cluster before the harness exits.
        using var interrupted = Interrupt.StopEverythingOn(() => Server);
        await using var server = await PostgresServer.StartAsync(extraSettings: """
            shared_preload_libraries = 'pg_stat_statements'
            pg_stat_statements.track = top
            max_connections = 400
            """);
        Server = server;
        await using (var c = new NpgsqlConnection(server.ConnectionString()))
        {
            await c.OpenAsync();
            await using var cmd = new NpgsqlCommand("CREATE EXTENSION IF NOT EXISTS pg_stat_statements", c);
            await cmd.ExecuteNonQueryAsync();
        }

        var results = new List<Result>();
        var bench = new Runner(server, o);
        foreach (var n in o.Nodes)
        {
            foreach (var contender in o.Contenders)
            {
                results.Add(await bench.Measure(contender, n, "throughput", o.Jobs, EverySecond));
                if (!contender.StartsWith("ceiling", StringComparison.Ordinal) && !o.Smoke) results.Add(await bench.Measure(contender, n, "lag", o.LagJobs, EverySecond));
            }
        }

        var idleNodes = o.Nodes.Contains(2) ? 2 : o.Nodes.Max();
        foreach (var contender in o.Contenders.Where(c => !c.StartsWith("ceiling", StringComparison.Ordinal)))
        {
            results.Add(await bench.Measure(contender, idleNodes, "idle", o.Jobs, Never));
            if (!o.Smoke && idleNodes >= 2) results.Add(await bench.Takeover(contender, idleNodes));
        }

        var report = Report.Render(o, results, total.Elapsed);
        Console.WriteLine();
        Console.WriteLine(report);
        if (o.Output is { } path) await File.WriteAllTextAsync(path, report);

        // Smoke: every contender must have run jobs end to end (the harness works), nothing more.
        var broken = results.Where(r => r.Phase is "throughput" or "lag" && r.Completed == 0).ToList();
        foreach (var b in broken) Console.Error.WriteLine($"FAILED: {b.Contender} {b.Phase} at {b.Nodes} node(s) completed nothing. {b.Note}");
        return broken.Count == 0 ? 0 : 1;
    }
}

internal sealed record Result(string Contender, int Nodes, string Phase, int Jobs)
{
    public long Completed { get; init; }
    public double Seconds { get; init; }
    public double Throughput => Seconds > 0 ? Completed / Seconds : 0;
    public double LagP50 { get; init; } = double.NaN;
    public double LagP99 { get; init; } = double.NaN;
    public double LagMax { get; init; } = double.NaN;
    public long Statements { get; init; }
    public long Transactions { get; init; }
    public double CpuPerNode { get; init; } = double.NaN; // fraction of one core
    public double TakeoverSeconds { get; init; } = double.NaN;
    public string Note { get; init; } = "";
    public string Mix { get; init; } = "";
}

internal sealed class Runner(PostgresServer server, BenchOptions o)
{
    public async Task<Result> Measure(string contender, int nodes, string phase, int jobs, string schedule)
    {
        var sw = Stopwatch.StartNew();
        var cs = await server.CreateDatabaseAsync($"{contender}{phase}{nodes}");
        var db = new NpgsqlConnectionStringBuilder(cs).Database!;
        Result result;
        try
        {
            result = contender == "ceiling"
                ? await CeilingAsync(cs, db, nodes, jobs, o.Concurrency)
                : contender == "ceiling-1"
                ? await CeilingAsync(cs, db, nodes, jobs, 1)
                : await NodesAsync(contender, cs, db, nodes, phase, jobs, schedule);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            result = new Result(contender, nodes, phase, jobs) { Note = "error: " + e.GetType().Name + ": " + e.Message.Split('\n')[0] };
        }

        Console.WriteLine($"  {contender,-9} {phase,-10} {nodes} node(s): {Report.Line(result)}  [{sw.Elapsed.TotalSeconds:0}s]");
        if (nodes == o.Nodes.Max() && phase is "throughput" or "idle") result = result with { Mix = await StatementMix(db) };
        await DropAsync(db);
        return result;
    }

    private async Task<Result> NodesAsync(string contender, string cs, string db, int nodes, string phase, int jobs, string schedule)
    {
        var dir = Directory.CreateTempSubdirectory("distcron-bench-");
        var procs = new List<NodeProcess>();
        try
        {
            // Start lag: enough slots for every job due at that second (on both schedulers), so the lag measured is the
            // scheduler's own, not a queue behind a full pool.
            var concurrency = phase == "lag" ? Math.Max(o.Concurrency, o.LagConcurrency) : o.Concurrency;
            // DistCron's default lease (30 s) everywhere but the takeover phase: the lease also sets how often a node
            // re-registers, so a short one would inflate the idle cost.
            var common = new[] { $"jobs={jobs}", $"schedule={schedule}", $"concurrency={concurrency}" };
            // Quartz: one node schedules the jobs (as a deployment would, once), then the others join the cluster.
            for (var i = 0; i < nodes; i++)
            {
                var extra = contender == "quartz" && i == 0 ? common.Append("seed=1") : common;
                procs.Add(new NodeProcess(contender, NodeConnectionString(cs, nodes), Path.Combine(dir.FullName, $"n{i}.txt"), extra));
                if (contender == "quartz" && i == 0) await procs[0].WaitReadyAsync(TimeSpan.FromSeconds(120));
            }

            foreach (var p in procs) await p.WaitReadyAsync(TimeSpan.FromSeconds(120));
            // Idle is a steady state: nodes that joined one after another re-register once when they next poll (up to
            // one poll interval, 5 s, after the last join); measure after that settles.
            await Task.Delay(TimeSpan.FromSeconds(phase == "idle" && !o.Smoke ? Math.Max(o.Warmup, 15) : o.Warmup));
            var warmup = phase == "throughput" && !o.Smoke ? await JitSettledAsync(procs) : TimeSpan.Zero;
            var before = await Stats(db);
            var cpu0 = procs.Select(p => p.CpuSeconds()).ToArray();
            var t0 = Recorder.NowMs();
            await Task.Delay(TimeSpan.FromSeconds(phase == "idle" && !o.Smoke ? o.Measure * 3 : o.Measure));
            var t1 = Recorder.NowMs();
            var cpu1 = procs.Select(p => p.CpuSeconds()).ToArray();
            var after = await Stats(db);
            await Task.WhenAll(procs.Select(p => p.StopAsync()));

            var inWindow = procs.SelectMany(p => p.ReadSamples()).Where(s => s.EntryMs >= t0 && s.EntryMs < t1).ToList();
            var lags = inWindow.Select(s => s.LagMs).Order().ToList();
            var seconds = (t1 - t0) / 1000.0;
            long ToWindow(long count) => (long)Math.Round(count * seconds / ((after.AtMs - before.AtMs) / 1000.0));
            return new Result(contender, nodes, phase, jobs)
            {
                Completed = inWindow.Count,
                Seconds = seconds,
                LagP50 = Recorder.Percentile(lags, 0.50),
                LagP99 = Recorder.Percentile(lags, 0.99),
                LagMax = lags.Count == 0 ? double.NaN : lags[^1],
                // The counters are read 1.1 s after the window ends (Stats), while the nodes still run: counted over
                // the reads' interval, they are scaled to the window the occurrences and the idle minutes are counted
                // in (unscaled, statements per occurrence would read high by the extra interval's share).
                Statements = ToWindow(after.Statements - before.Statements),
                Transactions = ToWindow(after.Transactions - before.Transactions),
                CpuPerNode = cpu1.Zip(cpu0, (a, b) => a - b).Average() / seconds,
                Note = procs.Any(p => p.Stderr.Length > 0) ? "stderr: " + procs.First(p => p.Stderr.Length > 0).Stderr.Split('\n')[0]
                    : warmup > TimeSpan.Zero ? $"warm-up {o.Warmup + warmup.TotalSeconds:0} s (JIT settled)" : "",
            };
        }
        finally
        {
            foreach (var p in procs) await p.DisposeAsync();
            dir.Delete(recursive: true);
        }
    }

    // Steady state is what throughput claims, and with many node processes on few cores tiered compilation goes on
    // well past a fixed warm-up. After it, wait until no node has spent more than 1 % of the last 2 s compiling (at
    // most 60 s more); the report gives the warm-up each phase took.
    private static async Task<TimeSpan> JitSettledAsync(IReadOnlyList<NodeProcess> procs)
    {
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < TimeSpan.FromSeconds(60))
        {
            var before = procs.Select(p => p.JitMs).ToArray();
            await Task.Delay(TimeSpan.FromSeconds(2));
            if (procs.Select((p, i) => p.JitMs - before[i]).All(ms => ms < 20)) break;
        }

        return waited.Elapsed;
    }

    /// <summary>SIGKILL the node that runs the long "takeover" job; time until another node enters it.</summary>
    public async Task<Result> Takeover(string contender, int nodes)
    {
        var cs = await server.CreateDatabaseAsync($"{contender}takeover");
        var db = new NpgsqlConnectionStringBuilder(cs).Database!;
        var dir = Directory.CreateTempSubdirectory("distcron-bench-");
        var procs = new List<NodeProcess>();
        var result = new Result(contender, nodes, "takeover", 1);
        try
        {
            var common = new[] { "jobs=0", $"schedule={Harness_EverySecond}", $"concurrency={o.Concurrency}", $"lease={o.Lease}", "takeover=1", "checkin=5" };
            for (var i = 0; i < nodes; i++)
            {
                var extra = contender == "quartz" && i == 0 ? common.Append("seed=1") : common;
                procs.Add(new NodeProcess(contender, NodeConnectionString(cs, nodes), Path.Combine(dir.FullName, $"n{i}.txt"), extra));
                if (contender == "quartz" && i == 0) await procs[0].WaitReadyAsync(TimeSpan.FromSeconds(120));
            }
            foreach (var p in procs) await p.WaitReadyAsync(TimeSpan.FromSeconds(120));

            var first = await WaitForEnter(procs, exclude: null, TimeSpan.FromSeconds(60));
            if (first is null) return result = result with { Note = "the takeover job never started" };
            await Task.Delay(TimeSpan.FromSeconds(o.Lease / 2)); // mid-lease: at least one heartbeat has renewed it
            var victim = procs.First(p => p.Pid == first.Value.Pid);
            var killedAt = Recorder.NowMs();
            ProcessRunnerKill.KillHard(victim.Pid);
            var second = await WaitForEnter(procs, exclude: victim.Pid, TimeSpan.FromSeconds(120));
            return result = second is null
                ? result with { Note = "no other node took over within 120 s" }
                : result with { TakeoverSeconds = (second.Value.AtMs - killedAt) / 1000.0, Completed = 1 };
        }
        finally
        {
            foreach (var p in procs) await p.DisposeAsync();
            dir.Delete(recursive: true);
            Console.WriteLine($"  {contender,-9} takeover   {nodes} node(s): {Report.Line(result)}");
            await DropAsync(db);
        }
    }

    private const string Harness_EverySecond = "* * * * * *";

    private static async Task<(int Pid, long AtMs)?> WaitForEnter(List<NodeProcess> procs, int? exclude, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            foreach (var p in procs.Where(p => p.Pid != exclude))
            {
                while (p.Events.TryDequeue(out var e))
                {
                    var f = e.Split(' '); // "ENTER takeover <ms> <pid>"
                    if (f[0] == "ENTER") return (int.Parse(f[3]), long.Parse(f[2]));
                }
            }
            await Task.Delay(20);
        }
        return null;
    }

    private async Task<Result> CeilingAsync(string cs, string db, int nodes, int jobs, int batch)
    {
        // As many pgbench clients as nodes × slots for the unbatched shape; for the batched one, each client stands for
        // a node's claim loop plus its runners working one batch, so one client per node... times two, as a node's
        // runners overlap with its next claim.
        var clients = batch == 1 ? nodes * o.Concurrency : nodes * 2;
        var rows = Math.Max(jobs, clients * batch * 4);
        var names = Enumerable.Range(0, rows).Select(i => $"j{i:D5}").ToArray();
        await using (var dataSource = NpgsqlDataSource.Create(cs))
        {
            await using var store = new PostgresJobStore(dataSource, "distcron", NullLogger.Instance);
            await store.MigrateAsync(CancellationToken.None);
            await using var seed = dataSource.CreateCommand("""
                INSERT INTO distcron.jobs (app, name, schedule, time_zone, definition_hash, next_due_at, occurrence_at)
                SELECT @app, n, '* * * * * *', 'UTC', 'ceiling', now(), now() FROM unnest(@names) AS n
                """);
            seed.Parameters.AddWithValue("app", Ceiling.App);
            seed.Parameters.AddWithValue("names", names);
            await seed.ExecuteNonQueryAsync();
        }

        var script = Path.Combine(Path.GetTempPath(), $"distcron-ceiling-{Guid.NewGuid():N}.sql");
        try
        {
            var b = new NpgsqlConnectionStringBuilder(cs);
            var env = new Dictionary<string, string> { ["PGPASSWORD"] = b.Password! };
            async Task<ProcessRunner.Result> Pgbench(int seconds, int restartEvery)
            {
                await File.WriteAllTextAsync(script, Ceiling.Script("distcron", batch, restartEvery));
                var args = new List<string> { "-n", "-h", b.Host!, "-p", b.Port.ToString(CultureInfo.InvariantCulture), "-U", b.Username!,
                    "-M", "prepared", "-c", clients.ToString(CultureInfo.InvariantCulture), "-j", Math.Min(clients, Environment.ProcessorCount).ToString(CultureInfo.InvariantCulture),
                    "-T", seconds.ToString(CultureInfo.InvariantCulture), "-D", "n=0", "-f", script, db };
                var run = await ProcessRunner.RunAsync(Path.Combine(server.BinDirectory, "pgbench"), args, TimeSpan.FromSeconds(seconds + 120), env);
                // pgbench prints its version first and the error last: the report keeps the first line of the message.
                return run.Succeeded ? run : throw new InvalidOperationException("pgbench failed: " +
                    string.Join(" | ", run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(l => l.Contains("error", StringComparison.OrdinalIgnoreCase) || l.Contains("aborted", StringComparison.Ordinal)).Take(3)));
            }
            static double Tps(string output) => double.Parse(System.Text.RegularExpressions.Regex.Match(output, @"tps = ([\d.]+)").Groups[1].Value, CultureInfo.InvariantCulture);

            // Warm-up as long as the nodes get, so the table has aged as much (dead row versions, index entries) when
            // the window starts; its rate sets how often a client claims from the start: once every 5 s, as a saturated
            // node with the default poll interval does (ClaimPacer.ResumeAfter).
            var warm = await Pgbench(o.Warmup, restartEvery: 32);
            var restartEvery = Math.Max(1, (int)Math.Round(5 * Tps(warm.Output) / clients));
            var runsBefore = await RunsCount(cs);

            var before = await Stats(db);
            var cpuBefore = Machine.TotalCpuSeconds();
            var run = await Pgbench(o.Measure, restartEvery);
            var cpuAfter = Machine.TotalCpuSeconds();
            var after = await Stats(db);
            var tx = long.Parse(System.Text.RegularExpressions.Regex.Match(run.Output, @"number of transactions actually processed: (\d+)").Groups[1].Value, CultureInfo.InvariantCulture);
            var tps = Tps(run.Output);
            var failed = System.Text.RegularExpressions.Regex.Match(run.Output, @"number of failed transactions: (\d+)");
            var completed = await RunsCount(cs) - runsBefore;
            return new Result(batch == 1 ? "ceiling-1" : "ceiling", nodes, "throughput", rows)
            {
                Completed = completed,
                Seconds = tx / tps,
                Statements = after.Statements - before.Statements,
                Transactions = after.Transactions - before.Transactions,
                Note = $"pgbench -c {clients}, batch {batch}, from the start every {restartEvery} claims" + (failed.Success && failed.Groups[1].Value != "0" ? $", {failed.Groups[1].Value} failed" : "") + $", machine CPU {cpuAfter - cpuBefore:0}s",
            };
        }
        finally
        {
            File.Delete(script);
        }
    }

    // The ceiling's occurrences: one runs row per completion that matched.
    private static async Task<long> RunsCount(string cs)
    {
        await using var connection = new NpgsqlConnection(cs);
        await connection.OpenAsync();
        await using var count = new NpgsqlCommand("SELECT count(*) FROM distcron.runs", connection);
        return (long)(await count.ExecuteScalarAsync())!;
    }

    // Enough connections for the runners plus the loop and the LISTEN connection; all nodes together stay under max_connections.
    private static string NodeConnectionString(string cs, int nodes) => new NpgsqlConnectionStringBuilder(cs)
    {
        MaxPoolSize = 40,
        Timeout = 30,
    }.ConnectionString;

    private async Task<(long Statements, long Transactions, long AtMs)> Stats(string db)
    {
        await using var c = new NpgsqlConnection(server.ConnectionString());
        await c.OpenAsync();
        // Backends flush their transaction counters at most once a second when idle: give them that second.
        await Task.Delay(1100);
        await using var cmd = new NpgsqlCommand("""
            SELECT (SELECT coalesce(sum(s.calls), 0) FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = @db)::bigint,
                   (SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = @db)::bigint
            """, c);
        cmd.Parameters.AddWithValue("db", db);
        await using var r = await cmd.ExecuteReaderAsync();
        await r.ReadAsync();
        return (r.GetInt64(0), r.GetInt64(1), Recorder.NowMs());
    }

    /// <summary>The statements this database ran over the whole phase (warm-up included), most frequent first.</summary>
    private async Task<string> StatementMix(string db)
    {
        await using var c = new NpgsqlConnection(server.ConnectionString());
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand("""
            SELECT s.calls, s.mean_exec_time, regexp_replace(left(s.query, 400), '\s+', ' ', 'g')
            FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = @db
            ORDER BY s.calls DESC LIMIT 12
            """, c);
        cmd.Parameters.AddWithValue("db", db);
        var text = new StringBuilder();
        await using var r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync())
        {
            var q = r.GetString(2);
            text.AppendLine($"    {r.GetInt64(0),8} calls {r.GetDouble(1),8:0.000} ms  {(q.Length > 160 ? q[..160] + "…" : q)}");
        }
        return text.ToString();
    }

    private async Task DropAsync(string db)
    {
        try
        {
            NpgsqlConnection.ClearAllPools();
            await using var c = new NpgsqlConnection(server.ConnectionString());
            await c.OpenAsync();
            await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS {db} WITH (FORCE)", c);
            await cmd.ExecuteNonQueryAsync();
        }
        catch (NpgsqlException e) { Console.Error.WriteLine($"drop {db}: {e.Message}"); }
    }
}

internal static class Machine
{
    public static string CpuModel()
    {
        try { return File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "?"; }
        catch (IOException) { return "?"; }
    }

    public static string MemoryGiB()
    {
        try
        {
            var kb = long.Parse(File.ReadLines("/proc/meminfo").First().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
            return (kb / 1024.0 / 1024.0).ToString("0", CultureInfo.InvariantCulture);
        }
        catch (IOException) { return "?"; }
    }

    /// <summary>Busy CPU seconds of the whole machine (all processes), from /proc/stat.</summary>
    public static double TotalCpuSeconds()
    {
        var f = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        long v(int i) => long.Parse(f[i], CultureInfo.InvariantCulture);
        return (v(1) + v(2) + v(3) + v(6) + v(7)) / 100.0;
    }
}
