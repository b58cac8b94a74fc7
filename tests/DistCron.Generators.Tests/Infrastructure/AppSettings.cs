using System.Collections.Immutable;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;

namespace DistCron.Generators.Tests.Infrastructure;

/// <summary>An appsettings file as the build hands it to the generator (an AdditionalFiles item).</summary>
internal sealed class InMemoryAdditionalText(string path, string text) : AdditionalText
{
    private readonly SourceText _text = SourceText.From(text, Encoding.UTF8);

    public override string Path { get; } = path;

    public override SourceText GetText(CancellationToken cancellationToken = default) => _text;
}

/// <summary>Runs the generator over a compilation and appsettings files, as a build does.</summary>
internal static class AppSettings
{
    public static GeneratorDriver CreateDriver(params AdditionalText[] files) =>
        CSharpGeneratorDriver.Create(
            new[] { new DistCronGenerator().AsSourceGenerator() },
            additionalTexts: files,
            parseOptions: TestCompilation.ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>The generator's diagnostics for <paramref name="json"/> (in /app/appsettings.json) beside <paramref name="sources"/>.</summary>
    public static ImmutableArray<Diagnostic> Diagnostics(string json, params string[] sources) =>
        DiagnosticsOf("/app/appsettings.json", json, sources);

    public static ImmutableArray<Diagnostic> DiagnosticsOf(string path, string json, params string[] sources)
    {
        var compilation = TestCompilation.Create("App", sources.Length > 0 ? sources : new[] { DefaultJobs });
        return CreateDriver(new InMemoryAdditionalText(path, json)).RunGenerators(compilation).GetRunResult().Diagnostics;
    }

    public const string DefaultJobs = """
        using DistCron;
        namespace App;
        public static class Jobs
        {
            [DistributedCron("0 * * * *", Name = "sitemap.regenerate")]
            public static void Sitemap() { }

            [DistributedCron("0 3 * * *", Name = "reports.nightly")]
            public static void Nightly() { }
        }
        """;

    /// <summary>"ID (line,column)-(line,column): message", 1-based as a build prints it.</summary>
    public static string Describe(Diagnostic diagnostic)
    {
        var span = diagnostic.Location.GetLineSpan();
        return $"{diagnostic.Id} {System.IO.Path.GetFileName(span.Path)}({span.StartLinePosition.Line + 1},{span.StartLinePosition.Character + 1})-({span.EndLinePosition.Line + 1},{span.EndLinePosition.Character + 1}): {diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}";
    }
}
