using DistCron.Fleet;
using DistCron.Tests.Infrastructure;

namespace DistCron.Tests.Chaos;

/// <summary>
/// The chaos audit refuses a server that can lose commits when it crashes. The chaos tool used to
/// start its cluster with synchronous_commit = off: the last audit rows before `pg_ctl restart -m immediate` vanished
/// and the audit reported PHANTOM COMPLETION and lost runs that did happen.
/// </summary>
public sealed class ChaosDurabilityCheckTests
{
    [Fact]
    public async Task A_fast_test_cluster_is_reported_setting_by_setting_and_a_crash_safe_one_passes()
    {
        var fast = await PostgresServer.SharedAsync();
        var problems = await new PostgresFleetStore(await fast.CreateDatabaseAsync("durability")).ReadDurabilityProblemsAsync(CancellationToken.None);
        Assert.Equal(3, problems.Count);
        Assert.Contains(problems, p => p.Contains("fsync = off", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("synchronous_commit = off", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("full_page_writes = off", StringComparison.Ordinal));

        await using var safe = await PostgresServer.StartAsync(crashSafe: true);
        Assert.Empty(await new PostgresFleetStore(await safe.CreateDatabaseAsync("durability")).ReadDurabilityProblemsAsync(CancellationToken.None));
    }
}
