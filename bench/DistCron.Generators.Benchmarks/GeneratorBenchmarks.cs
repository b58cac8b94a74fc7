using System.Text;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace DistCron.Generators.Benchmarks;

/// <summary>
/// The generator on a compilation with 1,000 [DistributedCron] methods (100 files of 10): a full run with a fresh
/// driver and a fresh compilation (so it pays for binding the attributes, as a first build does), an unrelated edit
/// (what every keystroke in the IDE costs), and an edit of one job's schedule.
/// </summary>
[ShortRunJob]
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
public class GeneratorBenchmarks
{
    private const int Files = 100;
    private const int JobsPerFile = 10;
    internal static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.CSharp12);

    private CSharpCompilation _compilation = null!;

    /// <summary>The 1,000-job compilation (after <see cref="Setup"/>).</summary>
    internal CSharpCompilation Compilation => _compilation;

    private GeneratorDriver _warmDriver = null!;
    private GeneratorDriver _warmFloorDriver = null!;
    private SyntaxTree _unrelated = null!;
    private SyntaxTree _unrelatedEdited = null!;
    private SyntaxTree _jobFile = null!;
    private SyntaxTree _jobFileEdited = null!;

    [GlobalSetup]
    public void Setup()
    {
        var trees = new List<SyntaxTree>();
        for (var f = 0; f < Files; f++)
        {
            trees.Add(CSharpSyntaxTree.ParseText(JobFile(f, "*/5 * * * *"), ParseOptions, $"/bench/Jobs{f}.cs"));
        }

        _unrelated = CSharpSyntaxTree.ParseText("namespace Bench; public static class Helper { public static int Value() => 1; }", ParseOptions, "/bench/Helper.cs");
        _unrelatedEdited = CSharpSyntaxTree.ParseText("namespace Bench; public static class Helper { public static int Value() => 2; }", ParseOptions, "/bench/Helper.cs");
        _jobFile = trees[42];
        _jobFileEdited = CSharpSyntaxTree.ParseText(JobFile(42, "*/7 * * * *"), ParseOptions, "/bench/Jobs42.cs");
        trees.Add(_unrelated);

        _compilation = CSharpCompilation.Create("Bench", trees, References(), new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        _warmDriver = NewDriver().RunGenerators(_compilation);
        _warmFloorDriver = CSharpGeneratorDriver.Create(new[] { new FloorGenerator().AsSourceGenerator() }, parseOptions: ParseOptions).RunGenerators(_compilation);
        var generated = _warmDriver.GetRunResult().GeneratedTrees.Single().ToString();
        var definitions = generated.Split("global::System.Threading.Tasks.ValueTask Invoke").Length - 1; // one invoker per job
        if (definitions != Files * JobsPerFile)
        {
            throw new InvalidOperationException($"expected {Files * JobsPerFile} generated definitions, found {definitions}");
        }
    }

    [Benchmark(Baseline = true, Description = "Full run, 1,000 jobs")]
    public GeneratorDriver FullRun() => NewDriver().RunGenerators(_compilation.Clone());

    [Benchmark(Description = "Unrelated edit")]
    public GeneratorDriver UnrelatedEdit() => _warmDriver.RunGenerators(_compilation.ReplaceSyntaxTree(_unrelated, _unrelatedEdited));

    [Benchmark(Description = "One schedule edited")]
    public GeneratorDriver OneJobEdited() => _warmDriver.RunGenerators(_compilation.ReplaceSyntaxTree(_jobFile, _jobFileEdited));

    /// <summary>An unrelated edit with <see cref="FloorGenerator"/>: ForAttributeWithMetadataName re-running, nothing else.</summary>
    [Benchmark(Description = "Empty FAWMN generator: unrelated edit")]
    public GeneratorDriver FloorUnrelatedEdit() => _warmFloorDriver.RunGenerators(_compilation.ReplaceSyntaxTree(_unrelated, _unrelatedEdited));

    /// <summary>
    /// What the compiler itself pays to bind the 1,000 attributes after an edit, without DistCron: the floor under
    /// any attribute-driven generator, since Roslyn re-runs semantic transforms whenever the compilation changes.
    /// </summary>
    [Benchmark(Description = "Roslyn alone: bind 1,000 attributes")]
    public int BindAttributesOnly()
    {
        var compilation = _compilation.ReplaceSyntaxTree(_unrelated, _unrelatedEdited);
        var count = 0;
        foreach (var tree in compilation.SyntaxTrees)
        {
            var model = compilation.GetSemanticModel(tree);
            foreach (var method in tree.GetRoot().DescendantNodes().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.MethodDeclarationSyntax>())
            {
                count += model.GetDeclaredSymbol(method)!.GetAttributes().Length;
            }
        }

        return count;
    }

    /// <summary>Stopwatch probe for --quick: the generator's own parsing of 1,000 already-bound methods.</summary>
    public void ParseOnlyProbe()
    {
        var parse = typeof(DistCronGenerator).Assembly.GetType("DistCron.Generators.JobParser")!.GetMethod("Parse")!;
        var pairs = new List<(IMethodSymbol, AttributeData)>();
        foreach (var tree in _compilation.SyntaxTrees)
        {
            var model = _compilation.GetSemanticModel(tree);
            foreach (var method in tree.GetRoot().DescendantNodes().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.MethodDeclarationSyntax>())
            {
                var symbol = model.GetDeclaredSymbol(method)!;
                foreach (var attribute in symbol.GetAttributes()) pairs.Add((symbol, attribute));
            }
        }

        for (var round = 0; round < 6; round++)
        {
            var watch = System.Diagnostics.Stopwatch.StartNew();
            foreach (var (symbol, attribute) in pairs) parse.Invoke(null, new object[] { symbol, attribute, false, CancellationToken.None });
            Console.WriteLine($"parse only ({pairs.Count}): {watch.Elapsed.TotalMilliseconds:0.0} ms");
        }
    }

    private static GeneratorDriver NewDriver() =>
        CSharpGeneratorDriver.Create(new[] { new DistCronGenerator().AsSourceGenerator() }, parseOptions: ParseOptions);

    private static string JobFile(int file, string schedule)
    {
        var text = new StringBuilder("using System.Threading; using System.Threading.Tasks; using DistCron;\nnamespace Bench;\n");
        text.Append("public sealed class Jobs").Append(file).Append("\n{\n");
        for (var j = 0; j < JobsPerFile; j++)
        {
            text.Append("    [DistributedCron(\"").Append(schedule).Append("\", TimeZone = \"Europe/Paris\", Timeout = \"00:05:00\", MaxRetries = 2)]\n")
                .Append("    public Task Run").Append(j).Append("Async(JobContext context, CancellationToken cancellationToken) => Task.CompletedTask;\n");
        }

        return text.Append("}\n").ToString();
    }

    private static IEnumerable<MetadataReference> References()
    {
        var frameworkDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        return ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Where(path => Path.GetDirectoryName(path) == frameworkDirectory && IsManaged(path))
            .Append(typeof(JobDefinition).Assembly.Location)
            .Select(path => MetadataReference.CreateFromFile(path));
    }

    private static bool IsManaged(string path)
    {
        try
        {
            System.Reflection.AssemblyName.GetAssemblyName(path);
            return true;
        }
        catch (BadImageFormatException)
        {
            return false;
        }
    }
}
