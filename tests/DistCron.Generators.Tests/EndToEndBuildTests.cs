using DistCron.Generators.Tests.Infrastructure;

namespace DistCron.Generators.Tests;

/// <summary>
/// Real `dotnet build`s of small consumer projects in temp folders: one through ProjectReferences (generator as an
/// analyzer, Cronos through GetDependencyTargetPaths), one through the packed nupkg from a folder feed. Slow by
/// nature (three builds and a pack), so kept to these two tests; they never build the whole solution.
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
        // Every packable project in one pack (one build graph): the library and the CLI tool.
        var packable = PackableProjects(_repository);
        Assert.Equal(["src/DistCron.Cli/DistCron.Cli.csproj", "src/DistCron/DistCron.csproj"], packable);
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
            Assert.Contains("lib/net8.0/DistCron.dll", entries);
            Assert.Contains("lib/net10.0/DistCron.dll", entries);
        }

        AssertPackageMetadata(nupkg, "DistCron", version, "source-generator");
        AssertPackageMetadata(Path.Combine(feed, $"DistCron.Cli.{version}.nupkg"), "DistCron.Cli", version, "cli");

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
    }

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

    private string BuildAndRun(string project)
    {
        var directory = Path.Combine(_root, project);
        var build = DotNetCli.Run(directory, "build", "--nologo", "-v:q");
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
