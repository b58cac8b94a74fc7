using DistCron.Generators.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace DistCron.Generators.Tests;

/// <summary>
/// The generated registration is a module initializer, which needs C# 9. Below that, one clear DCRON0017 from the
/// generator itself (so it survives builds without analyzers) instead of CS8400 errors inside the generated file.
/// </summary>
public class LanguageVersionTests
{
    private const string Source = """
        using DistCron;
        namespace Old
        {
            public static class Jobs
            {
                [DistributedCron("0 * * * *")] public static void Hourly() { }
                [DistributedCron("0 0 * * *", Name = "daily")] public static void Daily() { }
            }
        }
        """;

    internal static Diagnostic ReportedDiagnostic(LanguageVersion version = LanguageVersion.CSharp8) =>
        Assert.Single(Run(version).Diagnostics);

    private static (IReadOnlyList<Diagnostic> Diagnostics, Compilation Output, GeneratorDriverRunResult Result) Run(LanguageVersion version)
    {
        var options = new CSharpParseOptions(version);
        var compilation = CSharpCompilation.Create(
            "Old",
            new[] { CSharpSyntaxTree.ParseText(Source, options, "/src/Old/Jobs.cs") },
            TestCompilation.FrameworkAndDistCron,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary)
                .WithSpecificDiagnosticOptions(new Dictionary<string, ReportDiagnostic> { ["CS1701"] = ReportDiagnostic.Suppress, ["CS1702"] = ReportDiagnostic.Suppress }));
        GeneratorDriver driver = CSharpGeneratorDriver.Create(new[] { new DistCronGenerator().AsSourceGenerator() }, parseOptions: options);
        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out var diagnostics);
        return (diagnostics.ToList(), output, driver.GetRunResult());
    }

    [Theory]
    [InlineData(LanguageVersion.CSharp7_3, "7.3")]
    [InlineData(LanguageVersion.CSharp8, "8.0")]
    public void Below_csharp_9_the_generator_reports_DCRON0017_once_and_generates_nothing(LanguageVersion version, string shown)
    {
        var (diagnostics, output, result) = Run(version);
        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal("DCRON0017", diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Equal(Location.None, diagnostic.Location);
        Assert.Contains(WellKnownDiagnosticTags.NotConfigurable, diagnostic.Descriptor.CustomTags);
        Assert.Equal(
            $"This project compiles with C# {shown}, but the registration DistCron generates for its 2 [DistributedCron] job(s) (\"Old.Jobs.Hourly\", \"daily\") needs C# 9 or later (a module initializer), so none of them is registered; set <LangVersion> to 9.0 or later, or remove it to use the SDK's default",
            diagnostic.GetMessage());
        Assert.Equal("https://github.com/distcron/distcron/blob/main/docs/diagnostics/DCRON0017.md", diagnostic.Descriptor.HelpLinkUri);
        Assert.Empty(result.Results.Single().GeneratedSources);
        Assert.Empty(TestCompilation.CompilerProblems(output));
    }

    [Fact]
    public void From_csharp_9_the_generated_file_compiles()
    {
        var (diagnostics, output, result) = Run(LanguageVersion.CSharp9);
        Assert.Empty(diagnostics);
        Assert.Single(result.Results.Single().GeneratedSources);
        Assert.Empty(TestCompilation.CompilerProblems(output));
    }
}
