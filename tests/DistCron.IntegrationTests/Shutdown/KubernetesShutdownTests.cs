using System.Globalization;
using System.Text.RegularExpressions;
using DistCron.Storage.Sqlite;
using DistCron.Tests.Infrastructure;
using DistCron.Tests.MultiProcess;
using Xunit.Abstractions;

namespace DistCron.Tests.Shutdown;

/// <summary>
/// A pod stopped the way Kubernetes stops it: SIGTERM, then SIGKILL when terminationGracePeriodSeconds (30 s by default,
/// the host's default shutdown timeout too) ends. Real node processes on one real SQLite file. The leaving node runs one
/// job that honours its token and one that ignores it; DistCron's ShutdownTimeout is 1 s so the test is short (that the
/// 15 s default fits the 30 s grace period is proven by ShutdownBudgetTests), everything else is the default.
/// </summary>
[Collection(FleetCollection.Name)]
public sealed partial class KubernetesShutdownTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan GracePeriod = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private readonly string _folder = Directory.CreateTempSubdirectory("distcron-shutdown-").FullName;

    [Fact]
    public async Task Sigterm_hands_the_cooperative_job_to_the_fleet_names_the_one_ignoring_its_token_with_its_lease_end_and_exits_before_sigkill()
    {
        var database = Path.Combine(_folder, "distcron.db");
        const string App = "k8s-shutdown";
        await using var leaving = ShutdownNodeProcess.Start(database, App, "leaving", "1", "1");
        ShutdownNodeProcess? staying = null;
        try
        {
            var cooperativeFence = Fence((await leaving.LineAsync(l => l.StartsWith("started cooperative ", StringComparison.Ordinal), StartTimeout, "the cooperative job to start")).Text);
            var stubbornFence = Fence((await leaving.LineAsync(l => l.StartsWith("started stubborn ", StringComparison.Ordinal), StartTimeout, "the stubborn job to start")).Text);
            // The fleet: another pod, which must find both jobs claimed until the first one leaves.
            staying = ShutdownNodeProcess.Start(database, App, "staying", "1");
            await staying.LineAsync(l => l == "ready", StartTimeout, "the other node to start");

            var exitedAlone = await leaving.TerminateAsync(GracePeriod);

            output.WriteLine(leaving.Output());
            Assert.True(exitedAlone, "the node was still running when the grace period ended (SIGKILL)");
            Assert.Equal(0, leaving.ExitCode);
            var lines = leaving.Lines.Select(l => l.Text).ToArray();
            Assert.Contains("stopped", lines);
            Assert.Contains(lines, l => l.Contains("DistCron[17]", StringComparison.Ordinal)); // the deadline, logged by the process itself
            Assert.Contains(lines, l => l.Contains("DistCron[2]", StringComparison.Ordinal)); // and its node stopped before it exited

            // At the deadline both jobs are named with their occurrence, fence and lease end.
            var named = lines.Select(l => StillRunning().Match(l)).Where(m => m.Success).ToDictionary(m => m.Groups["job"].Value);
            Assert.Equal(["cooperative", "stubborn"], named.Keys.Order(StringComparer.Ordinal));
            Assert.Equal(cooperativeFence, long.Parse(named["cooperative"].Groups["fence"].Value, CultureInfo.InvariantCulture));
            Assert.Equal(stubbornFence, long.Parse(named["stubborn"].Groups["fence"].Value, CultureInfo.InvariantCulture));

            // The job that ignored its token is named as abandoned, with the moment the fleet can take it over.
            var abandoned = Assert.Single(lines.Select(l => Abandoned().Match(l)), m => m.Success);
            Assert.Equal("stubborn", abandoned.Groups["job"].Value);
            var stubbornLeaseEnd = Instant(abandoned.Groups["until"].Value);

            // The cooperative job's claim was released under its fence, so the other node ran it at once: long before
            // its lease would have let it.
            var retaken = await staying.LineAsync(l => l.StartsWith("started cooperative ", StringComparison.Ordinal), TimeSpan.FromSeconds(20), "the other node to take the cooperative job over");
            Assert.True(Fence(retaken.Text) > cooperativeFence);
            Assert.True(retaken.At < Instant(named["cooperative"].Groups["until"].Value), "the other node waited for the lease instead of the release");

            // The abandoned job keeps the leaving node's claim until the logged lease end; the other node has not run it.
            await using var store = new SqliteJobStore(database);
            var row = (await store.ListJobsAsync(App, CancellationToken.None)).Single(j => j.Name == "stubborn");
            if (DateTimeOffset.UtcNow < stubbornLeaseEnd - TimeSpan.FromSeconds(2))
            {
                Assert.Equal("leaving", row.OwnerNode);
                Assert.Equal(stubbornFence, row.Fence);
                Assert.InRange((row.LeaseUntil!.Value - stubbornLeaseEnd).Duration(), TimeSpan.Zero, TimeSpan.FromSeconds(1));
                Assert.DoesNotContain(staying.Lines, l => l.Text.StartsWith("started stubborn ", StringComparison.Ordinal));
            }
        }
        finally
        {
            if (staying is not null)
            {
                output.WriteLine(staying.Output());
                await staying.DisposeAsync();
            }
        }
    }

    private static long Fence(string startedLine) => long.Parse(startedLine[(startedLine.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);

    private static DateTimeOffset Instant(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);

    [GeneratedRegex(@"DistCron\[60\] Job (?<job>\S+) occurrence (?<occurrence>\S+) \(fence (?<fence>\d+)\).* lease holds until (?<until>[^\s,;]+)")]
    private static partial Regex StillRunning();

    [GeneratedRegex(@"DistCron\[61\] Job (?<job>\S+) occurrence (?<occurrence>\S+) \(fence (?<fence>\d+)\).* holds until (?<until>[^\s,;]+),")]
    private static partial Regex Abandoned();

    public void Dispose()
    {
        SqliteFiles.Delete(Path.Combine(_folder, "distcron.db"));
        try { Directory.Delete(_folder, recursive: true); }
        catch (IOException) { /* a node's file handle may linger a moment; the OS temp cleaner gets it */ }
    }
}
