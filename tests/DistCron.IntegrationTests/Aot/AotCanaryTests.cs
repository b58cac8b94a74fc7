using Xunit.Abstractions;

namespace DistCron.Tests.Aot;

/// <summary>
/// DistCron in a Native AOT app, for real: the canary (tests/DistCron.AotCanary) is published with PublishAot (one
/// publish per test run, <see cref="AotCanary"/>) and run as a native process that schedules a job every second and
/// exits once it ran, on SQLite and on PostgreSQL, with the generated registrations and with AddJobs. The publish
/// (ILLink's and ILC's whole-program analysis) must report no trim or AOT warning from DistCron.
/// </summary>
public sealed class AotCanaryTests(AotCanary canary, ITestOutputHelper output) : IClassFixture<AotCanary>
{
    [Fact]
    public void The_native_AOT_publish_reports_no_trim_or_AOT_warning_from_DistCron()
    {
        output.WriteLine($"Native AOT publish of the canary took {canary.PublishTime.TotalSeconds:0} s.");
        foreach (var warning in canary.WarningLines()) output.WriteLine(warning);
        Assert.Empty(canary.DistCronWarnings());
    }

    [Theory]
    [InlineData("generated")]
    [InlineData("explicit")]
    public async Task A_native_AOT_app_runs_a_job_on_sqlite(string jobs)
    {
        var folder = Path.Combine(Path.GetTempPath(), "distcron-tests", "aot-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            var text = await RunAsync(["sqlite", Path.Combine(folder, "canary.db"), jobs]);
            Assert.Contains($"canary: ran canary.{jobs} ", text);
            Assert.Contains($"canary ok: sqlite {jobs}", text);
        }
        finally
        {
            try { Directory.Delete(folder, recursive: true); }
            catch (IOException) { /* best effort */ }
        }
    }

    [Fact]
    public async Task A_native_AOT_app_runs_a_job_on_postgres()
    {
        var connectionString = await canary.Postgres.CreateDatabaseAsync("aot");
        var text = await RunAsync(["postgres", "-", "generated"], connectionString);
        Assert.Contains("canary: ran canary.generated ", text);
        Assert.Contains("canary ok: postgres generated", text);
    }

    private async Task<string> RunAsync(string[] arguments, string? postgres = null)
    {
        var (exitCode, text) = await canary.RunAsync(arguments, postgres);
        output.WriteLine(text);
        Assert.True(exitCode == 0, $"exit code {exitCode}\n{text}");
        // Compiled ahead of time for real, not a JIT fallback.
        Assert.Contains("canary: dynamic code supported = False", text);
        return text;
    }
}
