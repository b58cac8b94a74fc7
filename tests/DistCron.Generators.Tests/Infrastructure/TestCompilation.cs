using System.Collections.Immutable;
using System.Reflection;
using DistCron.Generators;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace DistCron.Generators.Tests.Infrastructure;

/// <summary>
/// Builds in-memory compilations against the running .NET's own framework assemblies plus DistCron, so the tests
/// need no reference-assembly download and behave the same offline.
/// </summary>
internal static class TestCompilation
{
    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.CSharp12);

    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(LoadReferences);

    public static ImmutableArray<MetadataReference> FrameworkAndDistCron => References.Value;

    public static CSharpCompilation Create(string assemblyName, params string[] sources) =>
        Create(assemblyName, sources, Array.Empty<MetadataReference>());

    public static CSharpCompilation Create(string assemblyName, IEnumerable<string> sources, IEnumerable<MetadataReference> extraReferences)
    {
        var trees = sources.Select((source, i) => CSharpSyntaxTree.ParseText(source, ParseOptions, path: $"/src/{assemblyName}/File{i}.cs"));
        return CSharpCompilation.Create(
            assemblyName,
            trees,
            References.Value.AddRange(extraReferences),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable, allowUnsafe: true)
                // As the .NET SDK does: binding net8.0 Microsoft.Extensions to the net10.0 framework is expected.
                .WithSpecificDiagnosticOptions(new Dictionary<string, ReportDiagnostic> { ["CS1701"] = ReportDiagnostic.Suppress, ["CS1702"] = ReportDiagnostic.Suppress }));
    }

    /// <summary>Runs the generator; returns its result and the compilation with the generated file added.</summary>
    public static (GeneratorDriverRunResult Result, Compilation Output) Generate(Compilation compilation)
    {
        GeneratorDriver driver = CSharpGeneratorDriver.Create(new[] { new DistCronGenerator().AsSourceGenerator() }, parseOptions: ParseOptions);
        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out var generatorDiagnostics);
        Assert.Empty(generatorDiagnostics);
        return (driver.GetRunResult(), output);
    }

    /// <summary>The generated job class's full name, as the generator spells it (sanitized name + FNV-1a of the exact name).</summary>
    public static string JobsClassName(string assemblyName) =>
        "DistCron.Generated.DistCronJobs_" + new string(assemblyName.Select(c => char.IsLetterOrDigit(c) || c == '_' ? c : '_').ToArray())
        + "_" + DistCron.Internal.StableHash.Fnv1a32(assemblyName).ToString("x8", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The single generated file's text, or null when the generator produced nothing.</summary>
    public static string? GeneratedText(GeneratorDriverRunResult result) =>
        result.Results.Single().GeneratedSources.SingleOrDefault().SourceText?.ToString();

    public static async Task<ImmutableArray<Diagnostic>> AnalyzeAsync(Compilation compilation)
    {
        var diagnostics = await compilation
            .WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new DistCronAnalyzer()))
            .GetAnalyzerDiagnosticsAsync();
        var crash = diagnostics.FirstOrDefault(d => d.Id == "AD0001");
        Assert.True(crash is null, crash?.GetMessage());
        return diagnostics.OrderBy(d => d.Location.SourceTree?.FilePath, StringComparer.Ordinal).ThenBy(d => d.Location.SourceSpan.Start).ToImmutableArray();
    }

    /// <summary>Compiler errors and warnings (not analyzer ones): generated code must produce none.</summary>
    public static IReadOnlyList<Diagnostic> CompilerProblems(Compilation compilation) =>
        compilation.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();

    /// <summary>Emits the compilation to an image (asserting it compiles cleanly).</summary>
    public static byte[] Emit(Compilation compilation)
    {
        using var stream = new MemoryStream();
        var emitted = compilation.Emit(stream);
        Assert.True(emitted.Success, string.Join(Environment.NewLine, emitted.Diagnostics));
        return stream.ToArray();
    }

    private static ImmutableArray<MetadataReference> LoadReferences()
    {
        // The shared framework directory of the running runtime: the same API surface a net10.0 app compiles against.
        var frameworkDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var framework = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Where(path => string.Equals(Path.GetDirectoryName(path), frameworkDirectory, StringComparison.Ordinal))
            .Where(path => IsManagedAssembly(path));
        var distCron = new[]
        {
            typeof(JobDefinition).Assembly.Location,
            typeof(Microsoft.Extensions.DependencyInjection.ActivatorUtilities).Assembly.Location,
        };
        return framework.Concat(distCron).Distinct(StringComparer.Ordinal)
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .ToImmutableArray();
    }

    private static bool IsManagedAssembly(string path)
    {
        try
        {
            AssemblyName.GetAssemblyName(path);
            return true;
        }
        catch (BadImageFormatException)
        {
            return false;
        }
    }
}
