using System.Collections.Immutable;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace DistCron.Tests.Docs;

/// <summary>
/// Compiles a C# snippet of the documentation in memory against the DistCron assembly, the .NET and ASP.NET Core
/// shared frameworks and the Microsoft.Extensions packages the tests use. The convention, for whoever writes a snippet
/// (a marker is an HTML comment on the line before the fence, invisible once rendered):
/// <list type="bullet">
/// <item>A <c>csharp</c> block is compiled as a Program.cs with top-level statements: using directives, statements
/// (top-level <c>await</c> allowed), then types. The usings of an ASP.NET Core project with ImplicitUsings are given;
/// any other namespace (DistCron's included) must be in the snippet.</item>
/// <item>Names a snippet uses without declaring them are declared for it: <c>builder</c> (WebApplicationBuilder),
/// <c>app</c> (WebApplication), <c>services</c> (IServiceCollection), <c>connectionString</c> (and <c>args</c>, as in any Program.cs).</item>
/// <item><c>&lt;!-- csharp: file --&gt;</c> before the fence: a whole file (namespaces allowed), compiled alone.</item>
/// <item><c>&lt;!-- csharp: assume CODE --&gt;</c>: CODE declares what the snippet takes from the app (an interface
/// it injects, say), compiled beside it.</item>
/// <item><c>&lt;!-- csharp: no-compile REASON --&gt;</c>: not compiled; the reason is required.</item>
/// </list>
/// Only errors fail; the DistCron source generator does not run, so [DistributedCron] methods are only checked as C#.
/// </summary>
public static partial class DocSnippetCompiler
{
    private static readonly string[] ImplicitUsings =
    [
        "System", "System.Collections.Generic", "System.IO", "System.Linq", "System.Net.Http", "System.Net.Http.Json",
        "System.Threading", "System.Threading.Tasks", "Microsoft.AspNetCore.Builder", "Microsoft.AspNetCore.Hosting",
        "Microsoft.AspNetCore.Http", "Microsoft.AspNetCore.Routing", "Microsoft.Extensions.Configuration",
        "Microsoft.Extensions.DependencyInjection", "Microsoft.Extensions.Hosting", "Microsoft.Extensions.Logging",
    ];

    private static readonly (string Name, string Declaration)[] Context =
    [
        ("builder", "Microsoft.AspNetCore.Builder.WebApplicationBuilder builder = null!;"),
        ("app", "Microsoft.AspNetCore.Builder.WebApplication app = null!;"),
        ("services", "Microsoft.Extensions.DependencyInjection.IServiceCollection services = null!;"),
        ("connectionString", "string connectionString = \"\";"),
    ];

    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(LoadReferences);

    /// <summary>The marker prefix that declares what a snippet assumes the app defines.</summary>
    public const string AssumeMarker = "csharp: assume ";

    /// <summary>The compiler's errors for <paramref name="block"/>, each with the document's file and line.</summary>
    public static IReadOnlyList<string> Errors(MarkdownBlock block)
    {
        var isFile = block.Marker == "csharp: file";
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        var trees = new List<SyntaxTree> { CSharpSyntaxTree.ParseText(isFile ? FileSource(block) : ProgramSource(block), parse) };
        if (block.Marker is { } marker && marker.StartsWith(AssumeMarker, StringComparison.Ordinal))
        {
            trees.Add(CSharpSyntaxTree.ParseText(string.Join("\n", ImplicitUsings.Select(u => $"using {u};")) + "\n#line hidden\n" + marker[AssumeMarker.Length..], parse));
        }

        var options = new CSharpCompilationOptions(isFile ? OutputKind.DynamicallyLinkedLibrary : OutputKind.ConsoleApplication,
            nullableContextOptions: NullableContextOptions.Enable);
        var compilation = CSharpCompilation.Create("DocSnippet", trees, References.Value, options);
        using var output = new MemoryStream();
        var result = compilation.Emit(output);
        return result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Select(Describe).ToList();
    }

    private static string Describe(Diagnostic d)
    {
        var span = d.Location.GetMappedLineSpan();
        return $"{span.Path}:{span.StartLinePosition.Line + 1}: {d.Id} {d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}";
    }

    private static string FileSource(MarkdownBlock block) => $"#line {block.Line} \"{block.File}\"\n" + block.Code;

    // A top-level program: the implicit usings, the snippet's own usings, the context it uses without declaring it, a
    // statement (a snippet of types alone is still a program), then the rest of the snippet: statements, then types.
    private static string ProgramSource(MarkdownBlock block)
    {
        var lines = block.Code.Split('\n');
        var usingCount = lines.TakeWhile(l => UsingDirective().IsMatch(l) || string.IsNullOrWhiteSpace(l)).Count();
        var body = string.Join("\n", lines.Skip(usingCount));
        var text = new StringBuilder();
        foreach (var ns in ImplicitUsings) text.Append("using ").Append(ns).Append(";\n");
        text.Append($"#line {block.Line} \"{block.File}\"\n");
        foreach (var line in lines.Take(usingCount)) text.Append(line).Append('\n');
        text.Append("#line hidden\n_ = 0;\n");
        foreach (var (name, declaration) in Context)
        {
            if (Regex.IsMatch(body, $@"\b{name}\b") && !Regex.IsMatch(body, $@"(\bvar|[\w>\]?])\s+{name}\s*[=;,)]")) text.Append(declaration).Append('\n');
        }

        text.Append($"#line {block.Line + usingCount} \"{block.File}\"\n").Append(body).Append('\n');
        return text.ToString();
    }

    // The test host's assemblies (framework, DistCron, Npgsql, Microsoft.Extensions.*) and the ASP.NET Core shared
    // framework beside the running runtime; of two copies of one assembly the higher version is kept.
    private static ImmutableArray<MetadataReference> LoadReferences()
    {
        var paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator).ToList();
        var runtime = new DirectoryInfo(RuntimeEnvironment.GetRuntimeDirectory());
        var aspNet = Path.Combine(runtime.Parent!.Parent!.FullName, "Microsoft.AspNetCore.App");
        var aspNetVersion = Directory.Exists(Path.Combine(aspNet, runtime.Name))
            ? Path.Combine(aspNet, runtime.Name)
            : Directory.GetDirectories(aspNet).OrderByDescending(d => Version.TryParse(Path.GetFileName(d).Split('-')[0], out var v) ? v : new Version()).First();
        paths.AddRange(Directory.GetFiles(aspNetVersion, "*.dll"));
        return [.. paths.Where(File.Exists)
            .GroupBy(p => Path.GetFileNameWithoutExtension(p), StringComparer.OrdinalIgnoreCase)
            .Select(g => g.OrderByDescending(VersionOf).First())
            .Where(IsManaged)
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))];
    }

    private static Version VersionOf(string path)
    {
        try { return System.Reflection.AssemblyName.GetAssemblyName(path).Version ?? new Version(); }
        catch (BadImageFormatException) { return new Version(); }
    }

    private static bool IsManaged(string path)
    {
        try { System.Reflection.AssemblyName.GetAssemblyName(path); return true; }
        catch (BadImageFormatException) { return false; }
    }

    [GeneratedRegex(@"^\s*using\s+(static\s+)?[A-Za-z_][\w.]*(\s*=\s*[\w.<>]+)?\s*;\s*(//.*)?$")]
    private static partial Regex UsingDirective();
}
