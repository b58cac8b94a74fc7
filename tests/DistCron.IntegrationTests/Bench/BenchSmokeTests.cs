using System.Diagnostics;
using System.Reflection;

namespace DistCron.Tests.Bench;

/// <summary>
/// Keeps the benchmark harness from rotting: runs <c>bench/DistCron.Bench --smoke</c> as a child process (its own
/// throwaway PostgreSQL, one node per contender, a few seconds each) and checks that every contender ran jobs end to
/// end and the report was written. No timing is asserted: speed is measured by the full run, never in tests.
/// </summary>
public sealed class BenchSmokeTests
{
    [Fact]
    public async Task Smoke_mode_runs_every_contender_end_to_end()
    {
        var bench = typeof(BenchSmokeTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "Bench").Value!;
        Assert.True(File.Exists(bench), $"the bench harness was not built at {bench}");
        var report = Path.Combine(Path.GetTempPath(), $"distcron-bench-smoke-{Guid.NewGuid():N}.md");
        var host = Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath! : "dotnet";
        var info = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { bench, "--smoke", "--out", report }) info.ArgumentList.Add(arg);

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        // Generous: the smoke takes well under a minute alone, but the machine running the suite may be loaded.
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"bench --smoke did not finish in 8 minutes.\n{await stdout}\n{await stderr}");
        }

        try
        {
            var output = $"{await stdout}\n--- stderr ---\n{await stderr}";
            Assert.True(process.ExitCode == 0, $"bench --smoke exited with {process.ExitCode}:\n{output}");
            var text = await File.ReadAllTextAsync(report);
            // One throughput row per contender, each with a measured (non-zero) rate; idle rows for both schedulers.
            foreach (var contender in new[] { "distcron", "quartz", "ceiling" })
            {
                var row = text.Split('\n').SingleOrDefault(l => l.StartsWith($"| 1 | {contender} |", StringComparison.Ordinal) && l.Contains('×'));
                Assert.True(row is not null, $"no throughput row for {contender}:\n{text}");
                var rate = double.Parse(row!.Split('|')[3].Trim(), System.Globalization.CultureInfo.InvariantCulture);
                Assert.True(rate > 0, $"{contender} completed nothing:\n{text}");
            }
            foreach (var scheduler in new[] { "distcron", "quartz" })
            {
                Assert.True(text.Split('\n').Any(l => l.StartsWith($"| 1 | {scheduler} |", StringComparison.Ordinal) && !l.Contains('×')),
                    $"no idle row for {scheduler}:\n{text}");
            }
        }
        finally
        {
            File.Delete(report);
        }
    }

    [Fact]
    public async Task Dashboard_mode_serves_every_measured_page_from_both_data_accesses()
    {
        var bench = typeof(BenchSmokeTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "Bench").Value!;
        var host = Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath! : "dotnet";
        var info = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { bench, "dashboard", "--jobs", "60", "--runs", "600", "--requests", "2", "--warmup", "1" }) info.ArgumentList.Add(arg);

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"bench dashboard did not finish in 5 minutes.\n{await stdout}\n{await stderr}");
        }

        var output = await stdout;
        Assert.True(process.ExitCode == 0, $"bench dashboard exited with {process.ExitCode}:\n{output}\n--- stderr ---\n{await stderr}");
        // Every page answered 200 on both hosts (the bench stops on any other status): one row per page.
        foreach (var page in new[] { "`/jobs`", "`/jobs?sort=next`", "`/jobs?state=failing&sort=last`", "`/`", "`/jobs/job-00030`" })
        {
            Assert.True(output.Split('\n').Any(l => l.StartsWith("| " + page + " |", StringComparison.Ordinal) && l.TrimEnd().EndsWith("× |", StringComparison.Ordinal)),
                $"no row for {page}:\n{output}");
        }
    }
}
