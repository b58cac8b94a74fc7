using System.Diagnostics;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;

namespace DistCron.Generators.Benchmarks;

/// <summary>
/// --compile [--generated FILE]: what the generated file costs a build after generation: the 1,000-job assembly
/// (job files + generated file) parsed, bound and emitted to memory, Release, on one thread, against the same
/// assembly without the generated file. FILE replaces the freshly generated text, e.g. one an older emitter wrote
/// with --breakdown --dump, so two emitters are compared by one binary. Medians of the measuring thread's CPU time
/// (see <see cref="Breakdown"/>) over 7 rounds after 3 warm-up rounds, each round on a new compilation.
/// </summary>
internal static class CompileTime
{
    private const int WarmUpRounds = 3;
    private const int Rounds = 7;

    public static void Run(GeneratorBenchmarks benchmarks, string? generatedPath)
    {
        var text = generatedPath is null
            ? benchmarks.FullRun().GetRunResult().GeneratedTrees.Single().ToString()
            : File.ReadAllText(generatedPath);
        var jobs = benchmarks.Compilation.SyntaxTrees.ToArray();
        // The generated invokers call ActivatorUtilities (DependencyInjection.Abstractions), which a real build references through DistCron.
        var references = benchmarks.Compilation.References
            .Append(MetadataReference.CreateFromFile(typeof(Microsoft.Extensions.DependencyInjection.ActivatorUtilities).Assembly.Location))
            .ToArray();
        var options = new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, optimizationLevel: OptimizationLevel.Release, concurrentBuild: false);
        var asyncInvokers = text.Split("private static async ").Length - 1;
        Console.WriteLine($"generated file: {text.Length:N0} chars ({Encoding.UTF8.GetByteCount(text) / 1024.0:N0} KB), {asyncInvokers} async invokers" +
            (generatedPath is null ? " (fresh)" : $" ({generatedPath})"));

        var without = Measure(() => Compile(jobs, null, references, options));
        var with = Measure(() => Compile(jobs, text, references, options));
        Console.WriteLine($"compile + emit, jobs only:            median {Median(without.Cpu),7:0} ms thread CPU, {Median(without.Wall),7:0} ms wall, {Median(without.Bytes),6:0} KB IL");
        Console.WriteLine($"compile + emit, jobs + generated:     median {Median(with.Cpu),7:0} ms thread CPU, {Median(with.Wall),7:0} ms wall, {Median(with.Bytes),6:0} KB IL");
        Console.WriteLine($"the generated file's share:           {Median(with.Cpu) - Median(without.Cpu),7:0} ms thread CPU");
    }

    private static long Compile(SyntaxTree[] jobs, string? generated, MetadataReference[] references, CSharpCompilationOptions options)
    {
        var trees = generated is null
            ? jobs
            : jobs.Append(CSharpSyntaxTree.ParseText(SourceText.From(generated, Encoding.UTF8), GeneratorBenchmarks.ParseOptions, "/bench/DistCron.g.cs")).ToArray();
        var compilation = CSharpCompilation.Create("Bench", trees, references, options);
        using var peStream = new MemoryStream();
        var result = compilation.Emit(peStream);
        if (!result.Success)
        {
            throw new InvalidOperationException("the 1,000-job assembly does not compile:\n" +
                string.Join("\n", result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Take(5)));
        }

        return peStream.Length;
    }

    private static (List<double> Cpu, List<double> Wall, List<double> Bytes) Measure(Func<long> compile)
    {
        var (cpu, wall, bytes) = (new List<double>(), new List<double>(), new List<double>());
        for (var round = 0; round < WarmUpRounds + Rounds; round++)
        {
            GC.Collect();
            var start = Breakdown.ThreadCpuMilliseconds();
            var watch = Stopwatch.StartNew();
            var length = compile();
            if (round < WarmUpRounds) continue;
            wall.Add(watch.Elapsed.TotalMilliseconds);
            cpu.Add(Breakdown.ThreadCpuMilliseconds() - start);
            bytes.Add(length / 1024.0);
        }

        return (cpu, wall, bytes);
    }

    private static double Median(List<double> values) => values.OrderBy(v => v).ElementAt(values.Count / 2);
}
