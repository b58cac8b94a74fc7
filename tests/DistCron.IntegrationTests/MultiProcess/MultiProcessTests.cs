using DistCron.Fleet;
using DistCron.Tests.Infrastructure;
using Xunit.Abstractions;

namespace DistCron.Tests.MultiProcess;

/// <summary>
/// The real-process proof that each occurrence runs once across the fleet and none is lost. Three
/// DistCron.TestNode processes (two of them with application clocks five minutes off) share one store and run
/// every-second jobs; one is SIGKILLed in the middle of a run; the others are stopped gracefully. Then every slot of
/// the window is audited from the job bodies' own audit rows and DistCron's run history (rules: FleetAudit).
/// </summary>
[Collection(FleetCollection.Name)]
public sealed class MultiProcessTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(1);
    private readonly string _directory = Directory.CreateTempSubdirectory("distcron-multiprocess-").FullName;

    [Fact]
    public async Task Postgres_three_processes_run_every_slot_once_and_a_killed_nodes_run_is_taken_over()
    {
        var server = await PostgresServer.SharedAsync();
        await RunAsync(new PostgresFleetStore(await server.CreateDatabaseAsync("multiprocess")));
    }

    [Fact]
    public async Task Sqlite_three_processes_on_one_file_run_every_slot_once_and_a_killed_nodes_run_is_taken_over()
    {
        await RunAsync(new SqliteFleetStore(Path.Combine(_directory, "distcron.db")));
    }

    private async Task RunAsync(FleetStore store)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var options = new FleetOptions(store, "multiprocess", Nodes: 3, Jobs: 5, Lease, Heartbeat: TimeSpan.FromSeconds(1), Poll,
            MisfireThreshold: TimeSpan.FromMinutes(1), Path.Combine(_directory, "logs"),
            ClockSkews: [TimeSpan.Zero, TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(-5)]);
        await using var fleet = new Fleet.Fleet(options); // disposing kills whatever still runs, even on failure
        await fleet.StartAsync(timeout.Token);

        var from = DateTimeOffset.UtcNow.AddSeconds(1);
        await Task.Delay(TimeSpan.FromSeconds(6), timeout.Token);
        // The victim is whichever node starts a run first from now: it is killed inside that run (100-300 ms of work),
        // so its claim stays leased and a survivor must take the occurrence over.
        var nextRuns = Enumerable.Range(0, fleet.Count).Select(s => fleet[s]!.NextRun).ToArray();
        var started = await Task.WhenAny(nextRuns).WaitAsync(TimeSpan.FromSeconds(30), timeout.Token);
        var slot = Array.IndexOf(nextRuns, started);
        var victim = fleet[slot]!;
        fleet.Kill(slot);
        await Task.Delay(TimeSpan.FromSeconds(7), timeout.Token);
        var to = DateTimeOffset.UtcNow;

        // The survivors take over the killed node's claims once its lease expires, and catch up.
        await Task.Delay(Lease + Poll + TimeSpan.FromSeconds(3), timeout.Token);
        await fleet.StopAllAsync();
        var report = await ChaosRun.AuditAsync(fleet, from, to, timeout.Token);

        output.WriteLine($"{store.Kind}: killed {victim.NodeId} right after it started its run #{victim.RunLines}");
        output.WriteLine(string.Join(", ", fleet.AllProcesses.Select(n => $"{n.NodeId}: {n.RunLines} runs")));
        output.WriteLine(report.Summary);
        Assert.True(report.Passed, report.Describe() + "\n" + fleet.Tails());
        // With a one-minute misfire threshold nothing is collapsed: every slot of the window has its own run.
        Assert.Equal(0, report.SlotsCoalesced);
        Assert.Equal(report.Slots, report.SlotsRan);
        Assert.True(report.Slots >= fleet.JobNames.Count * 10, $"window too short to mean anything: {report.Summary}");
        Assert.True(victim.RunLines > 0, "the killed node never ran a job, so its death proved nothing");
    }

    public void Dispose()
    {
        try { Directory.Delete(_directory, recursive: true); }
        catch (IOException) { /* a node's file handle may linger a moment; the OS temp cleaner gets it */ }
    }
}
