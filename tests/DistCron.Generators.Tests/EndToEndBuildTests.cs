using DistCron.Generators.Tests.Infrastructure;

namespace DistCron.Generators.Tests;

/// <summary>
/// Real `dotnet build`s of small consumer projects in temp folders: through ProjectReferences (generator as an
/// analyzer, Cronos through GetDependencyTargetPaths) and through the packed nupkg from a folder feed; and the build
/// switches and method shapes only the real SDK compiler can judge (analyzers off, suppressions, C# 14). Slow by
/// nature, so kept to these few tests, and later builds of a test skip rebuilding DistCron (--no-dependencies);
/// they never build the whole solution.
/// </summary>
[Collection(nameof(EndToEndBuildTests))]
public sealed class EndToEndBuildTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "distcron-e2e-" + Guid.NewGuid().ToString("N"));
    private readonly string _repository;

    // The builds work on a copy of the repository's sources (no bin/obj), so they never write into the working
    // tree that `dotnet test` of the other test projects is using at the same time.
    public EndToEndBuildTests()
    {
        Directory.CreateDirectory(_root);
        _repository = Path.Combine(_root, "repo");
        var source = DiagnosticTests.RepositoryRoot();
        foreach (var file in new[] { "Directory.Build.props", "Directory.Packages.props", "global.json", "README.md" })
        {
            Directory.CreateDirectory(_repository);
            File.Copy(Path.Combine(source, file), Path.Combine(_repository, file));
        }

        CopyDirectory(Path.Combine(source, "src"), Path.Combine(_repository, "src"));
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }

        foreach (var directory in Directory.EnumerateDirectories(from))
        {
            var name = Path.GetFileName(directory);
            if (name is "bin" or "obj") continue;
            CopyDirectory(directory, Path.Combine(to, name));
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // A build server may still hold a file for a moment; the folder is in the temp directory anyway.
        }
    }

    private static string Program() => """
        using DistCron;

        foreach (var job in DistCronJobRegistry.GetAll())
        {
            Console.WriteLine($"registered {job.Name} [{job.Schedule}] {job.Format} {job.TimeZone} {job.DefinitionHash}");
        }

        var ping = DistCronJobRegistry.GetAll().Single(j => j.MethodName == "Ping");
        await ping.Invoker(null!, new JobContext(ping.Name, DateTimeOffset.UtcNow, "e2e", 1, 1), CancellationToken.None);
        """;

    private static string Jobs(string schedule) => $$"""
        using DistCron;
        namespace Consumer;
        public static class Jobs
        {
            [DistributedCron("{{schedule}}", TimeZone = "Europe/Paris")]
            public static void Ping() => Console.WriteLine("ran Consumer.Jobs.Ping");
        }
        """;

    [Fact]
    public void Project_reference_consumer_with_an_untouched_job_library_builds_runs_and_registers_both_assemblies()
    {
        var src = Path.Combine(_repository, "src");
        var references = $"""
              <ItemGroup>
                <ProjectReference Include="{src}/DistCron/DistCron.csproj" />
                <ProjectReference Include="{src}/DistCron.Generators/DistCron.Generators.csproj" OutputItemType="Analyzer" ReferenceOutputAssembly="false" />
              </ItemGroup>
            """;
        Write("Library/Library.csproj", Project("Library", "Library", references));
        Write("Library/ReportJobs.cs", """
            using System.Runtime.CompilerServices;
            using DistCron;
            [assembly: InternalsVisibleTo("Consumer")]
            namespace Library;
            public static class ReportJobs
            {
                [DistributedCron("0 3 * * *", Name = "library:nightly")]
                internal static Task NightlyAsync(CancellationToken cancellationToken) => Task.CompletedTask;

                public static string Describe() => "library";
            }
            """);
        Write("Consumer/Consumer.csproj", Project("Exe", "Consumer", references + """
              <ItemGroup><ProjectReference Include="../Library/Library.csproj" /></ItemGroup>
            """));
        // The consumer never touches a Library type, so the compiler drops the reference from its metadata: only the
        // registration the generator emits into the consumer's module initializer can find the library's jobs.
        Write("Consumer/Program.cs", Program());
        Write("Consumer/Jobs.cs", Jobs("*/5 * * * *"));

        var output = BuildAndRun("Consumer");
        Assert.Contains("registered Consumer.Jobs.Ping [*/5 * * * *] Standard Europe/Paris", output);
        Assert.Contains("registered library:nightly [0 3 * * *] Standard UTC", output);
        Assert.Contains("ran Consumer.Jobs.Ping", output);

        // An app built without the generator (DistCron only through the library) has no generated registration:
        // the runtime finds the untouched library through the app's deps.json.
        Write("Plain/Plain.csproj", Project("Exe", "Plain", """
              <ItemGroup><ProjectReference Include="../Library/Library.csproj" /></ItemGroup>
            """));
        Write("Plain/Program.cs", """
            foreach (var job in DistCron.DistCronJobRegistry.GetAll()) Console.WriteLine($"registered {job.Name}");
            """);
        var plain = BuildAndRun("Plain");
        Assert.Contains("registered library:nightly", plain);
    }

    [Fact]
    public void Packed_nupkg_from_a_folder_feed_generates_registrations_and_fails_a_bad_schedule_with_DCRON0001()
    {
        // A version no cache can hold, and a fresh packages folder: a stale package can never hide a problem.
        var version = "0.1.0-e2e." + DateTime.UtcNow.ToString("yyyyMMddHHmmss") + "." + Guid.NewGuid().ToString("N")[..8];
        var feed = Path.Combine(_root, "feed");
        // Every packable project in one pack (one build graph): the library, the CLI tool and the dashboard.
        var packable = PackableProjects(_repository);
        Assert.Equal(["src/DistCron.Cli/DistCron.Cli.csproj", "src/DistCron.Dashboard/DistCron.Dashboard.csproj", "src/DistCron/DistCron.csproj"], packable);
        File.WriteAllText(Path.Combine(_repository, "packages.slnx"),
            "<Solution>\n" + string.Concat(packable.Select(p => $"  <Project Path=\"{p}\" />\n")) + "</Solution>\n");
        var pack = DotNetCli.Run(_repository, "pack", "packages.slnx", "-c", "Release", "-o", feed, $"-p:Version={version}");
        Assert.True(pack.ExitCode == 0, pack.Output);
        var nupkg = Path.Combine(feed, $"DistCron.{version}.nupkg");
        using (var archive = System.IO.Compression.ZipFile.OpenRead(nupkg))
        {
            var entries = archive.Entries.Select(e => e.FullName).ToList();
            Assert.Contains("analyzers/dotnet/cs/DistCron.Generators.dll", entries);
            Assert.Contains("analyzers/dotnet/cs/Cronos.dll", entries);
            Assert.Contains("analyzers/dotnet/cs/DistCron.CodeFixes.dll", entries);
            Assert.Contains("lib/net8.0/DistCron.dll", entries);
            Assert.Contains("lib/net10.0/DistCron.dll", entries);
            Assert.Contains("build/DistCron.targets", entries);
            Assert.Contains("buildTransitive/DistCron.targets", entries);
        }

        AssertPackageMetadata(nupkg, "DistCron", version, "source-generator");
        AssertPackageMetadata(Path.Combine(feed, $"DistCron.Cli.{version}.nupkg"), "DistCron.Cli", version, "cli");
        AssertPackageMetadata(Path.Combine(feed, $"DistCron.Dashboard.{version}.nupkg"), "DistCron.Dashboard", version, "dashboard");

        var cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        Write("Consumer/nuget.config", $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <config>
                <add key="globalPackagesFolder" value="{Path.Combine(_root, "packages")}" />
              </config>
              <packageSources>
                <clear />
                <add key="feed" value="{feed}" />
                {(Directory.Exists(cache) ? $"<add key=\"machine-cache\" value=\"{cache}\" />" : string.Empty)}
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
              </packageSources>
              <packageSourceMapping>
                <packageSource key="feed"><package pattern="DistCron" /></packageSource>
                {(Directory.Exists(cache) ? "<packageSource key=\"machine-cache\"><package pattern=\"*\" /></packageSource>" : string.Empty)}
                <packageSource key="nuget.org"><package pattern="*" /></packageSource>
              </packageSourceMapping>
            </configuration>
            """);
        Write("Consumer/Consumer.csproj", Project("Exe", "Consumer", $"""
              <ItemGroup><PackageReference Include="DistCron" Version="{version}" /></ItemGroup>
            """));
        Write("Consumer/Program.cs", Program());
        Write("Consumer/Jobs.cs", Jobs("*/10 * * * * *"));

        var output = BuildAndRun("Consumer");
        Assert.Contains("registered Consumer.Jobs.Ping [*/10 * * * * *] IncludeSeconds Europe/Paris", output);
        Assert.Contains("ran Consumer.Jobs.Ping", output);

        Write("Consumer/Jobs.cs", Jobs("61 * * * *"));
        var bad = DotNetCli.Run(Path.Combine(_root, "Consumer"), "build", "--nologo", "-v:q");
        Assert.True(bad.ExitCode != 0, bad.Output);
        // Line 5, column 22: the string literal in `    [DistributedCron("61 * * * *", ...)]`.
        Assert.Contains("Jobs.cs(5,22): error DCRON0001: Schedule \"61 * * * *\" is not a valid cron expression: Minutes: Value must be a number between 0 and 59 (all inclusive)", bad.Output);

        // The package's build targets hand appsettings*.json to the generator: a bad override in it fails the build,
        // at its line and column in the file, in the words the start would use.
        Write("Consumer/Jobs.cs", Jobs("*/10 * * * * *"));
        Write("Consumer/appsettings.json", "{\n  // This deployment's overrides.\n  \"DistCron\": { \"Jobs\": {\n    \"Consumer.Jobs.Ping\": { \"Schedule\": \"61 * * * *\" } } }\n}\n");
        var badSettings = DotNetCli.Run(Path.Combine(_root, "Consumer"), "build", "--nologo", "-v:q");
        Assert.True(badSettings.ExitCode != 0, badSettings.Output);
        Assert.Contains(Path.Combine(_root, "Consumer", "appsettings.json")
            + "(4,42): error DCRON0001: DistCron:Jobs:Consumer.Jobs.Ping:Schedule: schedule \"61 * * * *\" is not a valid cron expression: Minutes: Value must be a number between 0 and 59 (all inclusive)", badSettings.Output);
    }

    // What a host would do at start: resolve the options, which runs DistCron's validation of every job definition.
    private static string StartUpProgram() => """
        using DistCron;
        using Microsoft.Extensions.DependencyInjection;
        using Microsoft.Extensions.Options;

        using var provider = new ServiceCollection().AddDistCron().BuildServiceProvider();
        try
        {
            _ = provider.GetRequiredService<IOptions<DistCronOptions>>().Value;
            Console.WriteLine("started with " + string.Join(", ", DistCronJobRegistry.GetAll().Select(j => j.Name)));
        }
        catch (OptionsValidationException ex)
        {
            Console.WriteLine("refused: " + ex.Message);
        }
        """;

    private string ProjectReferences(bool dependencyInjection = true)
    {
        var src = Path.Combine(_repository, "src");
        var version = System.Text.RegularExpressions.Regex.Match(
            File.ReadAllText(Path.Combine(_repository, "Directory.Packages.props")),
            "Include=\"Microsoft.Extensions.DependencyInjection\" Version=\"([^\"]+)\"").Groups[1].Value;
        return $"""
              <ItemGroup>
                <ProjectReference Include="{src}/DistCron/DistCron.csproj" />
                <ProjectReference Include="{src}/DistCron.Generators/DistCron.Generators.csproj" OutputItemType="Analyzer" ReferenceOutputAssembly="false" />
                {(dependencyInjection ? $"<PackageReference Include=\"Microsoft.Extensions.DependencyInjection\" Version=\"{version}\" />" : string.Empty)}
              </ItemGroup>
            """;
    }

    // Each of these once built green with the job silently gone. Now the build still goes through (the
    // switch is the user's choice) but the host refuses to start, quoting the diagnostic the build would have shown.
    [Fact]
    public void No_build_switch_can_hide_an_invalid_job_the_host_refuses_to_start_with_the_diagnostic()
    {
        const string Broken = """
            using DistCron;
            namespace Consumer;
            public static class Jobs
            {
                [DistributedCron("61 * * * *")]
                public static void Broken() { }

                [DistributedCron("0 * * * *")]
                public static void Fine() { }
            }
            """;
        var switches = new (string Name, string[] Arguments, string? Pragma, string? EditorConfig)[]
        {
            ("RunAnalyzers", new[] { "-p:RunAnalyzers=false" }, null, null),
            ("RunAnalyzersDuringBuild", new[] { "-p:RunAnalyzersDuringBuild=false" }, null, null),
            ("Pragma", Array.Empty<string>(), "#pragma warning disable DCRON0001\n", null),
            ("EditorConfig", Array.Empty<string>(), null, "root = true\n\n[*.cs]\ndotnet_diagnostic.DCRON0001.severity = none\n"),
        };
        foreach (var (name, arguments, pragma, editorConfig) in switches)
        {
            Write($"{name}/{name}.csproj", Project("Exe", name, ProjectReferences()));
            Write($"{name}/Program.cs", StartUpProgram());
            Write($"{name}/Jobs.cs", (pragma ?? string.Empty) + Broken);
            if (editorConfig != null) Write($"{name}/.editorconfig", editorConfig);

            // DistCron and the generator are built by the first build; the others only compile their consumer.
            var output = BuildAndRun(name, name == switches[0].Name ? arguments : arguments.Append("--no-dependencies").ToArray());
            Assert.DoesNotContain("DCRON0001", BuildOutput);
            Assert.Contains(
                "refused: DistCron job 'Consumer.Jobs.Broken' (Consumer.Jobs.Broken) was not generated because its declaration is invalid: DCRON0001: Schedule \"61 * * * *\" is not a valid cron expression: Minutes: Value must be a number between 0 and 59 (all inclusive);",
                output);
            Assert.DoesNotContain("started", output);
        }
    }

    // The real SDK compiler (C# 14 by default on net10.0), not the Roslyn 4.8 the unit tests use: shapes whose
    // generated code once failed to compile build green under TreatWarningsAsErrors and run; C# 14 extension block
    // members get DCRON0013 alone, no CS error from generated code and no misleading DCRON0012.
    [Fact]
    public void Real_compiler_builds_every_shape_and_rejects_extension_block_members_with_DCRON0013()
    {
        Write("Shapes/Shapes.csproj", Project("Exe", "Shapes", ProjectReferences()));
        Write("Shapes/Jobs.cs", """
            using DistCron;
            namespace Shapes.@await;
            public interface IClock { }
            public sealed class Clock : IClock { }
            public static class Keywords
            {
                [DistributedCron("@hourly", Name = "k.await")] public static async Task @await() { await Task.Yield(); Console.WriteLine("ran await"); }
                [DistributedCron("@hourly", Name = "k.field")] public static Task field() { Console.WriteLine("ran field"); return Task.CompletedTask; }
            }
            public static class Nullables
            {
                [DistributedCron("@hourly", Name = "n.args")]
                public static void Args(List<string?> list, Action<string?> action, IDictionary<string, object?> map, IClock? clock, IDisposable? missing, int retries = 3) =>
                    Console.WriteLine($"ran args list={list.Count} clock={clock is not null} missing={missing is null} retries={retries}");
            }
            public static class Obsoletes
            {
                [Obsolete("use the new one")] [DistributedCron("@hourly", Name = "o.warning")] public static void Old() => Console.WriteLine("ran obsolete");
            }
            public static partial class Partials
            {
                [DistributedCron("@hourly", Name = "p.partial")] public static partial void Declared();
                public static partial void Declared() => Console.WriteLine("ran partial");
            }
            public static class Several
            {
                [DistributedCron("@hourly", Name = "s.hourly")]
                [DistributedCron("@daily", Name = "s.daily")]
                public static void Both(JobContext context) => Console.WriteLine("ran several as " + context.JobName);
            }
            """);
        Write("Shapes/Program.cs", """
            using DistCron;
            using Microsoft.Extensions.DependencyInjection;
            using Shapes.@await;

            await using var provider = new ServiceCollection()
                .AddSingleton<IClock, Clock>()
                .AddSingleton(new List<string?> { "x", null })
                .AddSingleton<Action<string?>>(_ => { })
                .AddSingleton<IDictionary<string, object?>>(new Dictionary<string, object?>())
                .BuildServiceProvider();
            foreach (var job in DistCronJobRegistry.GetAll().Where(j => j.DeclaringType.StartsWith("Shapes", StringComparison.Ordinal)))
            {
                await job.Invoker(provider, new JobContext(job.Name, DateTimeOffset.UtcNow, "e2e", 1, 1), CancellationToken.None);
            }
            """);
        var output = BuildAndRun("Shapes");
        Assert.Equal(
            new[] { "ran await", "ran field", "ran args list=2 clock=True missing=True retries=3", "ran obsolete", "ran partial", "ran several as s.daily", "ran several as s.hourly" },
            output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

        Write("Shapes/Extensions.cs", """
            using DistCron;
            namespace Shapes;
            public static class TextExtensions
            {
                extension(string text)
                {
                    [DistributedCron("0 * * * *")]
                    public void Shout() => Console.WriteLine(text.ToUpperInvariant());

                    [DistributedCron("0 * * * *", Name = "ext.static")]
                    public static void Tick() { }
                }
            }
            """);
        var build = DotNetCli.Run(Path.Combine(_root, "Shapes"), "build", "--nologo", "-v:q", "--no-dependencies");
        Assert.True(build.ExitCode != 0, build.Output);
        var errors = build.Output.Split('\n').Where(l => l.Contains(": error ", StringComparison.Ordinal)).Select(l => l.Trim()).Distinct().ToList();
        Assert.True(errors.Count == 2 && errors.All(e => e.Contains("error DCRON0013: Method 'Shapes.TextExtensions.", StringComparison.Ordinal)
            && e.Contains("cannot be a job because it is a member of a C# 14 extension block (extension(...) { }), which generated code cannot call as an ordinary method", StringComparison.Ordinal)), build.Output);
        Assert.Contains(errors, e => e.Contains("Extensions.cs(8,21)", StringComparison.Ordinal) && e.Contains("'Shapes.TextExtensions.Shout'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("Extensions.cs(11,28)", StringComparison.Ordinal) && e.Contains("'Shapes.TextExtensions.Tick'", StringComparison.Ordinal));

        // Without analyzers, the generated code still compiles and the host refuses both jobs.
        Write("Shapes/Program.cs", StartUpProgram());
        var refused = BuildAndRun("Shapes", "-p:RunAnalyzers=false", "--no-dependencies");
        Assert.Contains("refused: ", refused);
        Assert.Contains("'Shapes.TextExtensions.Shout' cannot be a job because it is a member of a C# 14 extension block", refused);
        Assert.Contains("'Shapes.TextExtensions.Tick' cannot be a job because it is a member of a C# 14 extension block", refused);
    }

    private string BuildOutput { get; set; } = string.Empty;


    // src projects that produce a package: IsPackable true, as the csproj says (the SDK's default is not relied on).
    private static List<string> PackableProjects(string repository) =>
        Directory.EnumerateFiles(Path.Combine(repository, "src"), "*.csproj", SearchOption.AllDirectories)
            .Where(p => File.ReadAllText(p).Contains("<IsPackable>true</IsPackable>", StringComparison.Ordinal))
            .Select(p => Path.GetRelativePath(repository, p).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)
            .ToList();

    // The nuspec inside the package, as NuGet reads it: license, readme (and the file itself), repository and
    // project URL, which must be the repository the diagnostics' help links point into.
    private static void AssertPackageMetadata(string nupkg, string id, string version, string tag)
    {
        using var archive = System.IO.Compression.ZipFile.OpenRead(nupkg);
        var nuspecEntry = Assert.Single(archive.Entries, e => e.FullName == id + ".nuspec");
        System.Xml.Linq.XElement metadata;
        using (var stream = nuspecEntry.Open())
        {
            metadata = System.Xml.Linq.XDocument.Load(stream).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
        }

        string? Value(string name) => metadata.Elements().SingleOrDefault(e => e.Name.LocalName == name)?.Value;
        System.Xml.Linq.XElement Element(string name) => Assert.Single(metadata.Elements(), e => e.Name.LocalName == name);

        // https://github.com/distcron/distcron/blob/main/docs/diagnostics/DCRON0001.md → https://github.com/distcron/distcron
        var helpLink = new DistCronAnalyzer().SupportedDiagnostics[0].HelpLinkUri;
        var marker = helpLink.IndexOf("/blob/", StringComparison.Ordinal);
        Assert.True(marker > 0, helpLink);
        var repositoryUrl = helpLink[..marker];

        Assert.Equal(id, Value("id"));
        Assert.Equal(version, Value("version"));
        Assert.Equal("DistCron contributors", Value("authors"));
        Assert.False(string.IsNullOrWhiteSpace(Value("description")), "no description");
        Assert.Contains(tag, (Value("tags") ?? string.Empty).Split(' '));
        Assert.Equal("MIT", Value("license"));
        Assert.Equal("expression", Element("license").Attribute("type")?.Value);
        Assert.Equal(repositoryUrl, Value("projectUrl"));
        Assert.Equal(repositoryUrl, Element("repository").Attribute("url")?.Value);
        Assert.Equal("git", Element("repository").Attribute("type")?.Value);
        Assert.Equal("README.md", Value("readme"));
        var readme = Assert.Single(archive.Entries, e => e.FullName == "README.md");
        using var reader = new StreamReader(readme.Open());
        Assert.Equal(File.ReadAllText(Path.Combine(DiagnosticTests.RepositoryRoot(), "README.md")), reader.ReadToEnd());
    }

    private string BuildAndRun(string project, params string[] buildArguments)
    {
        var directory = Path.Combine(_root, project);
        var build = DotNetCli.Run(directory, new[] { "build", "--nologo", "-v:q" }.Concat(buildArguments).ToArray());
        BuildOutput = build.Output;
        Assert.True(build.ExitCode == 0, build.Output);
        var run = DotNetCli.Run(directory, "bin/Debug/net10.0/" + project + ".dll");
        Assert.True(run.ExitCode == 0, run.Output);
        return run.Output;
    }

    // TreatWarningsAsErrors: the generated code must not raise a single warning in a strict consumer.
    private static string Project(string outputType, string name, string items) => $"""
        <Project Sdk="Microsoft.NET.Sdk">
          <PropertyGroup>
            {(outputType == "Exe" ? "<OutputType>Exe</OutputType>" : string.Empty)}
            <TargetFramework>net10.0</TargetFramework>
            <AssemblyName>{name}</AssemblyName>
            <Nullable>enable</Nullable>
            <ImplicitUsings>enable</ImplicitUsings>
            <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
            <NuGetAudit>false</NuGetAudit>
          </PropertyGroup>
        {items}
        </Project>
        """;

    private void Write(string relativePath, string content)
    {
        var path = Path.Combine(_root, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }
}
