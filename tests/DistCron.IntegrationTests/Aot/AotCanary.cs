using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using DistCron.Tests.Infrastructure;

namespace DistCron.Tests.Aot;

/// <summary>
/// tests/DistCron.AotCanary published with Native AOT, once per test run (the publish takes minutes): the native
/// executable and the publish output, whose trim and AOT warnings <see cref="AotCanaryTests"/> reads. Installs the
/// native toolchain the publish needs (clang, zlib1g-dev) with apt-get when missing, as PostgresServer installs
/// PostgreSQL. The publish works on its own artifacts folder, so it never writes into the bin/obj folders that the
/// test run is using.
/// </summary>
public sealed partial class AotCanary : IAsyncLifetime
{
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromMinutes(30);
    private readonly string _root = Path.Combine(Path.GetTempPath(), "distcron-aot-" + Guid.NewGuid().ToString("N")[..12]);

    /// <summary>The native executable.</summary>
    public string Executable => Path.Combine(_root, "out", "DistCron.AotCanary");

    /// <summary>Everything `dotnet publish` printed.</summary>
    public string PublishOutput { get; private set; } = string.Empty;

    /// <summary>How long the publish took (reported in the test output, never asserted).</summary>
    public TimeSpan PublishTime { get; private set; }

    /// <summary>The shared PostgreSQL cluster of this test process.</summary>
    public PostgresServer Postgres { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Postgres = await PostgresServer.SharedAsync();
        await EnsureToolchainAsync();

        var project = Path.Combine(RepositoryRoot(), "tests", "DistCron.AotCanary", "DistCron.AotCanary.csproj");
        var watch = Stopwatch.StartNew();
        var (exitCode, output) = await RunDotNetAsync(
            ["publish", project, "-c", "Release", "-r", RuntimeInformation.RuntimeIdentifier, "--artifacts-path", Path.Combine(_root, "artifacts"),
             "-o", Path.Combine(_root, "out"), "-nologo", "-clp:NoSummary"],
            PublishTimeout);
        PublishTime = watch.Elapsed;
        PublishOutput = output;
        if (exitCode != 0 || !File.Exists(Executable))
        {
            throw new InvalidOperationException($"The Native AOT publish of the canary failed (exit code {exitCode}):\n{output}");
        }
    }

    public Task DisposeAsync()
    {
        try { Directory.Delete(_root, recursive: true); }
        catch (IOException) { /* best effort: the folder is in the temp directory */ }
        return Task.CompletedTask;
    }

    /// <summary>The trim (IL2xxx) and AOT (IL3xxx) warnings of the publish that concern DistCron (its code, namespace or assembly).</summary>
    public IReadOnlyList<string> DistCronWarnings() => WarningLines().Where(w => DistCronMention().IsMatch(w)).ToList();

    /// <summary>Every trim or AOT warning of the publish, without the trailing project name.</summary>
    public IReadOnlyList<string> WarningLines() => PublishOutput.Split('\n')
        .Where(l => IlWarning().IsMatch(l))
        .Select(l => ProjectSuffix().Replace(l.Trim(), string.Empty))
        .Distinct()
        .ToList();

    /// <summary>Runs the native canary; the PostgreSQL connection string travels in the environment, never on the command line.</summary>
    public async Task<(int ExitCode, string Output)> RunAsync(string[] arguments, string? postgres = null)
    {
        var start = new ProcessStartInfo(Executable);
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        if (postgres is not null) start.Environment["DISTCRON_CANARY_POSTGRES"] = postgres;
        var result = await ProcessRunner.RunAsync(start, TimeSpan.FromMinutes(2));
        return (result.ExitCode, result.Output);
    }

    // The machine's runtime identifier (linux-x64 on CI) names the ILCompiler package restored from NuGet.
    private static async Task<(int ExitCode, string Output)> RunDotNetAsync(string[] arguments, TimeSpan timeout)
    {
        var start = new ProcessStartInfo("dotnet");
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        // `dotnet test` hands MSBuild settings to its children; the nested publish must find its own SDK and nodes.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(key);
        }

        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        var result = await ProcessRunner.RunAsync(start, timeout);
        return (result.ExitCode, result.Output);
    }

    // Native AOT links with clang and needs zlib's headers and static library (zlib1g-dev); a fresh CI machine has
    // neither. Installed as PostgresServer installs PostgreSQL: apt-get as root, else a clear message.
    private static async Task EnsureToolchainAsync()
    {
        var missing = new List<string>();
        if (!OnPath("clang")) missing.Add("clang");
        if (!File.Exists("/usr/include/zlib.h")) missing.Add("zlib1g-dev");
        if (missing.Count == 0) return;
        if (!OperatingSystem.IsLinux() || !CurrentUser.IsRoot())
        {
            throw new InvalidOperationException($"The Native AOT canary needs {string.Join(" and ", missing)}, and the tests are not running as root, " +
                $"so they cannot install them. Install them first, e.g. 'sudo apt-get install -y {string.Join(' ', missing)}', then run the tests again.");
        }

        var failure = await AptGet.InstallAsync(missing, () => OnPath("clang") && File.Exists("/usr/include/zlib.h"));
        if (failure is not null)
        {
            throw new InvalidOperationException($"'apt-get install -y {string.Join(' ', missing)}' failed:\n{failure}");
        }
    }

    private static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(directory => File.Exists(Path.Combine(directory, tool)));

    private static string RepositoryRoot([System.Runtime.CompilerServices.CallerFilePath] string path = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, "..", "..", ".."));

    // "warning IL2026: …", "Trim analysis warning IL2026: …", "AOT analysis warning IL3050: …".
    [GeneratedRegex(@"warning IL[23]\d{3}\b")]
    private static partial Regex IlWarning();

    // MSBuild's " [/path/Project.csproj::TargetFramework=…]" after each message: it names the canary project, not the culprit.
    [GeneratedRegex(@"\s*\[[^\[\]]*\.csproj[^\[\]]*\]\s*$")]
    private static partial Regex ProjectSuffix();

    // DistCron's namespace, assembly or source files; the canary's own (DistCron.AotCanary) is not DistCron.
    [GeneratedRegex(@"\bDistCron\b(?!\.AotCanary)")]
    private static partial Regex DistCronMention();
}
