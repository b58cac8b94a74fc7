using DistCron.Fleet;
using DistCron.Tests.Infrastructure;
using DistCron.Tests.MultiProcess;
using Xunit.Abstractions;

namespace DistCron.Tests.Chaos;

/// <summary>
/// The chaos tool's short mode in the suite (3 nodes x 10 jobs, 60 s) against a private PostgreSQL cluster
/// (it is restarted and taken down, so it cannot be the cluster other tests share). Kills (mostly mid-run) with
/// restarts, a freeze longer than the lease, clocks skewed by ±10 minutes, an immediate restart and a 6 s outage of
/// PostgreSQL, two rolling deploys that switch the jobs' schedule, and an operator pausing, resuming and triggering
/// jobs; then the full audit (rules: FleetAudit). Same code as `dotnet run --project tools/DistCron.Chaos -- --short`.
/// </summary>
[Collection(FleetCollection.Name)]
public sealed class ChaosShortModeTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("distcron-chaos-").FullName;

    [Fact]
    public async Task Short_chaos_run_on_postgres_loses_nothing_and_completes_nothing_twice()
    {
        // Crash-safe: the run stops PostgreSQL in immediate mode, and with synchronous_commit = off the last commits
        // before that (audit rows of runs that did start) are lost, which the audit then reports as lost/phantom runs.
        await using var server = await PostgresServer.StartAsync(crashSafe: true);
        var store = new PostgresFleetStore(await server.CreateDatabaseAsync("chaos"));
        var database = new PostgresControl(server.BinDirectory, Path.Combine(server.RootDirectory, "data"), Path.Combine(server.RootDirectory, "server.log"));
        var log = new StringWriter();
        var seed = Random.Shared.Next(1, 1_000_000);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));

        AuditReport report;
        try
        {
            report = await ChaosRun.RunAsync(
                new ChaosOptions(store, Nodes: 3, Jobs: 10, TimeSpan.FromSeconds(60), _directory, seed, database) { Log = TextWriter.Synchronized(log) },
                timeout.Token);
        }
        finally
        {
            output.WriteLine(log.ToString());
        }

        output.WriteLine(report.Summary);
        Assert.True(report.Passed, $"seed {seed}: {report.Describe()}\n{log}");
        // The run must have exercised what it claims to, or passing proves nothing.
        Assert.True(report.Kills >= 3, $"only {report.Kills} kills: {report.Summary}");
        Assert.True(report.Freezes >= 1, $"no freeze: {report.Summary}");
        Assert.Equal(2, report.DatabaseRestarts);
        // The 10 every-second jobs run every second until the first rolling deploy, then every 2 s (even, then odd
        // seconds); the 2 generated jobs every second; paused or unsettled seconds are no slots. A whole 60 s window
        // gives about 2 × 60 + 10 × (10 + 50 / 2) = 470 audited seconds (slots, unsettled and paused ones), of which a
        // run that exercised everything kept 418 slots: 300 and 400 say the window was not cut short.
        Assert.True(report.Slots >= 300, $"window too short: {report.Summary}");
        Assert.True(report.Slots + report.SlotsUnsettled + report.SlotsPaused >= 400, $"window too short: {report.Summary}");
        Assert.True(report.Deploys >= 2, $"fewer than 2 definition switches (one each way): {report.Summary}");
        Assert.True(report.Pauses >= 3 && report.Resumes >= report.Pauses, $"too few pauses, or one never resumed: {report.Summary}");
        Assert.True(report.Triggers >= 5 && report.ManualRuns >= 2, $"too few triggers or manual runs: {report.Summary}");
    }

    public void Dispose()
    {
        try { Directory.Delete(_directory, recursive: true); }
        catch (IOException) { /* a node's file handle may linger a moment */ }
    }
}
