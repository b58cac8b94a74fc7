using System.Diagnostics;
using System.Reflection;
using DistCron.Tests.Infrastructure;
using Xunit.Abstractions;

namespace DistCron.Tests.Bench;

/// <summary>
/// Stopping the benchmark harness stops what it started: its node processes and its PostgreSQL cluster used to keep
/// running after the harness was gone, loading the machine. SIGTERM goes through the same handler as Ctrl+C (a
/// SIGINT may be ignored by a process started in the background, SIGTERM never is).
/// </summary>
public sealed class BenchInterruptTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Sigterm_stops_the_node_processes_and_the_cluster_then_the_harness_exits_143()
    {
        var bench = typeof(BenchInterruptTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "Bench").Value!;
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { bench, "--smoke" }) info.ArgumentList.Add(arg);
        using var harness = Process.Start(info)!;
        var stdout = harness.StandardOutput.ReadToEndAsync();
        var stderr = harness.StandardError.ReadToEndAsync();
        try
        {
            int[] nodes = [];
            await Eventually.TrueAsync(async () => (nodes = await NodeChildrenAsync(harness.Id)).Length > 0, "the harness started a node process",
                TimeSpan.FromMinutes(4));
            var cluster = Directory.GetDirectories(Path.GetTempPath(), "distcron-pg-*")
                .Single(d => File.Exists(Path.Combine(d, "owner.pid")) && File.ReadAllText(Path.Combine(d, "owner.pid")).Trim() == harness.Id.ToString());

            Assert.True((await ProcessRunner.RunAsync("kill", ["-TERM", harness.Id.ToString()], TimeSpan.FromSeconds(10))).Succeeded);
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await harness.WaitForExitAsync(timeout.Token);
            output.WriteLine(await stdout + await stderr);

            Assert.Equal(143, harness.ExitCode);
            Assert.All(nodes, pid => Assert.False(Directory.Exists($"/proc/{pid}"), $"node process {pid} outlived the harness"));
            Assert.False(Directory.Exists(cluster), $"the cluster {cluster} was left behind");
        }
        finally
        {
            if (!harness.HasExited) harness.Kill(entireProcessTree: true);
        }
    }

    private static async Task<int[]> NodeChildrenAsync(int parent)
    {
        var children = await ProcessRunner.RunAsync("pgrep", ["-P", parent.ToString()], TimeSpan.FromSeconds(10));
        return children.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(int.Parse)
            .Where(IsNode)
            .ToArray();
    }

    // The harness in node mode: "dotnet DistCron.Bench.dll node distcron|quartz …" (NUL-separated in /proc).
    private static bool IsNode(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/cmdline").Contains("\0node\0", StringComparison.Ordinal); }
        catch (IOException) { return false; } // exited meanwhile
    }
}
