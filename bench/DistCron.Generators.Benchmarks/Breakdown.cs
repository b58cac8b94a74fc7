using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;

namespace DistCron.Generators.Benchmarks;

/// <summary>
/// --breakdown: where the full run's time goes. Each piece of a full run is timed on its own over the same
/// compilation as the benchmarks: the whole run; an empty ForAttributeWithMetadataName generator (Roslyn binding the
/// attributes, no DistCron work); DistCron's pipeline cut after each stage (<see cref="ProbeGenerator"/>); the
/// emitter alone; Roslyn parsing the emitted text alone, which a full run does NOT include (the driver hands out
/// generated trees that are parsed when first read; a real build reads them at once), hence "full run + parse".
/// The cases run round-robin (10 warm-up rounds, then 25 measured), so that they share the JIT's state: unlike
/// --quick, whose first case also pays for tiering up Roslyn's code. Times are medians; "thread CPU" is the CPU
/// time of the measuring thread only (the driver runs the generator on it), which stays meaningful on a shared
/// machine where wall time also measures the neighbours, and leaves out the JIT's and the background GC's threads.
/// </summary>
internal static class Breakdown
{
    private const int WarmUpRounds = 10;
    private const int Rounds = 25;

    public static void Run(GeneratorBenchmarks benchmarks, string? dumpPath)
    {
        var compilation = benchmarks.Compilation;
        var parseOptions = GeneratorBenchmarks.ParseOptions;

        var tracked = CSharpGeneratorDriver.Create(
            new[] { new DistCronGenerator().AsSourceGenerator() },
            parseOptions: parseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));
        var first = tracked.RunGenerators(compilation.Clone()).GetRunResult();
        var model = (AssemblyJobsModel)first.Results[0].TrackedSteps[DistCronGenerator.Steps.Assembly][0].Outputs[0].Value;
        var text = JobEmitter.Emit(model);
        if (dumpPath != null)
        {
            File.WriteAllText(dumpPath, text);
            return;
        }

        var tree = SyntaxFactory.ParseSyntaxTree(SourceText.From(text, Encoding.UTF8), parseOptions);
        var nodes = tree.GetRoot().DescendantNodesAndTokens(descendIntoTrivia: true).Count();
        Console.WriteLine($"emitted file: {text.Length:N0} chars, {text.Count(c => c == '\n'):N0} lines, {nodes:N0} nodes+tokens (trivia included)");

        var cases = new List<(string Name, Func<object> Run)>
        {
            ("full run (DistCron)", () => benchmarks.FullRun()),
            ("full run + parse of the generated file", () => benchmarks.FullRun().GetRunResult().GeneratedTrees[0].GetRoot()),
            ("full run, empty FAWMN generator", () => NewDriver(new FloorGenerator()).RunGenerators(compilation.Clone())),
        };
        foreach (var stage in Enum.GetValues<ProbeGenerator.Stage>())
        {
            cases.Add(($"full run, DistCron cut after {stage}", () => NewDriver(new ProbeGenerator(stage)).RunGenerators(compilation.Clone())));
        }

        cases.Add(("emit only (JobEmitter.Emit)", () => JobEmitter.Emit(model)));
        cases.Add(("parse only (ParseSyntaxTree + GetRoot)", () => SyntaxFactory.ParseSyntaxTree(SourceText.From(text, Encoding.UTF8), parseOptions).GetRoot()));

        var results = cases.Select(_ => (Wall: new List<double>(), Cpu: new List<double>(), Bytes: new List<double>(), Jit: new List<double>())).ToArray();
        for (var round = 0; round < WarmUpRounds + Rounds; round++)
        {
            for (var c = 0; c < cases.Count; c++)
            {
                GC.Collect();
                var bytes = GC.GetAllocatedBytesForCurrentThread();
                var cpu = ThreadCpuMilliseconds();
                var jit = System.Runtime.JitInfo.GetCompilationTime();
                var watch = Stopwatch.StartNew();
                cases[c].Run();
                var wall = watch.Elapsed.TotalMilliseconds;
                cpu = ThreadCpuMilliseconds() - cpu;
                if (round < WarmUpRounds) continue;
                results[c].Wall.Add(wall);
                results[c].Cpu.Add(cpu);
                results[c].Bytes.Add((GC.GetAllocatedBytesForCurrentThread() - bytes) / 1e6);
                results[c].Jit.Add((System.Runtime.JitInfo.GetCompilationTime() - jit).TotalMilliseconds);
            }
        }

        Console.WriteLine($"{"case",-44} {"wall",9} {"thread CPU",11} {"min CPU",9} {"allocated",10} {"JIT",8}");
        for (var c = 0; c < cases.Count; c++)
        {
            Console.WriteLine($"{cases[c].Name,-44} {Median(results[c].Wall),6:0.0} ms {Median(results[c].Cpu),8:0.0} ms {results[c].Cpu.Min(),6:0.0} ms {Median(results[c].Bytes),7:0.00} MB {Median(results[c].Jit),5:0.0} ms");
        }

        // The driver's own figures, from runs with step tracking on (recording them costs a little).
        var total = new List<double>();
        var jobs = new List<double>();
        var output = new List<double>();
        for (var i = 0; i < WarmUpRounds + Rounds; i++)
        {
            GC.Collect();
            var driver = tracked.RunGenerators(compilation.Clone());
            if (i < WarmUpRounds) continue;
            var run = driver.GetRunResult().Results[0];
            total.Add(driver.GetTimingInfo().GeneratorTimes[0].ElapsedTime.TotalMilliseconds);
            jobs.Add(run.TrackedSteps[DistCronGenerator.Steps.Jobs].Sum(s => s.ElapsedTime.TotalMilliseconds));
            output.Add(run.TrackedOutputSteps.Values.SelectMany(s => s).Sum(s => s.ElapsedTime.TotalMilliseconds));
        }

        Console.WriteLine($"driver timing (tracking on, medians): generator {Median(total):0.0} ms; '{DistCronGenerator.Steps.Jobs}' (attribute binding + JobParser, 1,000 summed) " +
            $"{Median(jobs):0.0} ms; source output (emit + AddSource) {Median(output):0.0} ms");
    }

    private static GeneratorDriver NewDriver(IIncrementalGenerator generator) =>
        CSharpGeneratorDriver.Create(new[] { generator.AsSourceGenerator() }, parseOptions: GeneratorBenchmarks.ParseOptions);

    private static double Median(List<double> values)
    {
        var sorted = values.OrderBy(v => v).ToList();
        return sorted[sorted.Count / 2];
    }

    // CLOCK_THREAD_CPUTIME_ID (Linux): the calling thread's CPU time.
    internal static double ThreadCpuMilliseconds()
    {
        if (!OperatingSystem.IsLinux()) return double.NaN;
        clock_gettime(3, out var time);
        return (time.Seconds * 1e3) + (time.Nanoseconds / 1e6);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int clock_gettime(int clock, out TimeSpec time);
}
