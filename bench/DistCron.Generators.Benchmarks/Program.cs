using System.Diagnostics;
using BenchmarkDotNet.Running;
using DistCron.Generators.Benchmarks;

// dotnet run -c Release --project bench/DistCron.Generators.Benchmarks -- --filter '*'
// dotnet run -c Release --project bench/DistCron.Generators.Benchmarks -- --quick    (a Stopwatch smoke run, no statistics)
if (args.Contains("--quick"))
{
    var benchmarks = new GeneratorBenchmarks();
    benchmarks.Setup();
    foreach (var (name, action) in new (string, Func<object>)[] { ("full", benchmarks.FullRun), ("unrelated", benchmarks.UnrelatedEdit), ("one job", benchmarks.OneJobEdited), ("bind only", () => benchmarks.BindAttributesOnly()) })
    {
        for (var i = 0; i < 8; i++)
        {
            var watch = Stopwatch.StartNew();
            action();
            Console.WriteLine($"{name}: {watch.Elapsed.TotalMilliseconds:0.0} ms");
        }
    }

    benchmarks.ParseOnlyProbe();
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(GeneratorBenchmarks).Assembly).Run(args);
