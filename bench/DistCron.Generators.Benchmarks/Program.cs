using System.Diagnostics;
using BenchmarkDotNet.Running;
using DistCron.Generators.Benchmarks;

// dotnet run -c Release --project bench/DistCron.Generators.Benchmarks -- --filter '*'
// dotnet run -c Release --project bench/DistCron.Generators.Benchmarks -- --quick
//   --quick: no statistics, but it reports the process's CPU time per operation besides wall time, which stays
//   meaningful on a machine shared with other work (wall time there measures the neighbours too).
//   --breakdown: the full run taken apart (see Breakdown.cs); --breakdown --dump FILE only writes the generated file.
//   --compile [--generated FILE]: what compiling the generated file costs (see CompileTime.cs); FILE: compare a file
//   an older emitter wrote (--breakdown --dump FILE on that commit).
//   --loop N: N full runs and nothing else, to attach a profiler (dotnet-trace collect -- <this> --loop 300).
if (args.Contains("--loop"))
{
    var benchmarks = new GeneratorBenchmarks();
    benchmarks.Setup();
    var count = int.Parse(args[Array.IndexOf(args, "--loop") + 1], System.Globalization.CultureInfo.InvariantCulture);
    for (var i = 0; i < count; i++) benchmarks.FullRun();
    return;
}

if (args.Contains("--compile"))
{
    var benchmarks = new GeneratorBenchmarks();
    benchmarks.Setup();
    var generated = Array.IndexOf(args, "--generated");
    CompileTime.Run(benchmarks, generated >= 0 ? args[generated + 1] : null);
    return;
}

if (args.Contains("--breakdown"))
{
    var benchmarks = new GeneratorBenchmarks();
    benchmarks.Setup();
    var dump = Array.IndexOf(args, "--dump");
    Breakdown.Run(benchmarks, dump >= 0 ? args[dump + 1] : null);
    return;
}

if (args.Contains("--quick"))
{
    var benchmarks = new GeneratorBenchmarks();
    benchmarks.Setup();
    var cases = new (string Name, Func<object> Run)[]
    {
        ("Full run, 1,000 jobs", benchmarks.FullRun),
        ("Unrelated edit", benchmarks.UnrelatedEdit),
        ("One schedule edited", benchmarks.OneJobEdited),
        ("Empty FAWMN generator: unrelated edit", benchmarks.FloorUnrelatedEdit),
        ("Roslyn alone: bind 1,000 attributes", () => benchmarks.BindAttributesOnly()),
    };
    foreach (var (name, run) in cases)
    {
        // Warm-up until the JIT is done with this case (tier-1 of Roslyn's and DistCron's code): a fixed few rounds left
        // the first case measuring mostly the JIT. A compiler server (the IDE, VBCSCompiler) is warm like this.
        for (var i = 0; i < 60; i++)
        {
            var jitBefore = System.Runtime.JitInfo.GetCompilationTime();
            run();
            if (i >= 10 && System.Runtime.JitInfo.GetCompilationTime() == jitBefore) break;
        }
        var wall = new List<double>();
        var cpu = new List<double>();
        var jit = new List<double>();
        for (var i = 0; i < 15; i++)
        {
            GC.Collect();
            var process = Process.GetCurrentProcess();
            var cpuBefore = process.TotalProcessorTime;
            var jitBefore = System.Runtime.JitInfo.GetCompilationTime();
            var watch = Stopwatch.StartNew();
            run();
            wall.Add(watch.Elapsed.TotalMilliseconds);
            process.Refresh();
            cpu.Add((process.TotalProcessorTime - cpuBefore).TotalMilliseconds);
            jit.Add((System.Runtime.JitInfo.GetCompilationTime() - jitBefore).TotalMilliseconds);
        }

        // JIT: time the JIT spent compiling (tiering Roslyn's and DistCron's code up) during the operation, on any
        // thread: part of the wall time when on the measuring thread, of the CPU time in any case.
        Console.WriteLine($"{name,-38} median wall {Median(wall),7:0.0} ms   median CPU {Median(cpu),7:0.0} ms   median JIT {Median(jit),6:0.0} ms");
    }

    benchmarks.ParseOnlyProbe();
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(GeneratorBenchmarks).Assembly).Run(args);

static double Median(List<double> values)
{
    values.Sort();
    return values[values.Count / 2];
}
