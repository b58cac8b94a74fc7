using DistCron.Engine;

namespace DistCron.Tests.Engine;

/// <summary>
/// The store backoff decides how long a fleet stays idle after the database is back: it must grow quickly to its cap
/// and never wait longer than the cap the liveness check and the docs assume.
/// </summary>
public sealed class BackoffTests
{
    [Fact]
    public void Store_backoff_doubles_from_one_second_and_never_waits_longer_than_its_longest_delay()
    {
        var backoff = Backoff.ForStore();
        var delays = Enumerable.Range(0, 40).Select(_ => backoff.NextDelay()).ToArray();

        Assert.InRange(delays[0], TimeSpan.FromSeconds(0.8), TimeSpan.FromSeconds(1.2));
        Assert.InRange(delays[1], TimeSpan.FromSeconds(1.6), TimeSpan.FromSeconds(2.4));
        Assert.InRange(delays[2], TimeSpan.FromSeconds(3.2), TimeSpan.FromSeconds(4.8));
        Assert.All(delays, d => Assert.True(d <= Backoff.LongestStoreDelay, $"waited {d} > {Backoff.LongestStoreDelay}"));
        Assert.All(delays.Skip(3), d => Assert.True(d >= TimeSpan.FromSeconds(4), $"waited only {d} once capped"));
        Assert.True(Backoff.LongestStoreDelay <= TimeSpan.FromSeconds(6), "a fleet must resume within seconds of the database's return");
    }

    [Fact]
    public void A_success_ends_the_outage_and_starts_the_doubling_again()
    {
        var backoff = Backoff.ForStore();
        for (var i = 0; i < 5; i++) backoff.NextDelay();

        Assert.True(backoff.Reset());
        Assert.False(backoff.Reset());
        Assert.InRange(backoff.NextDelay(), TimeSpan.FromSeconds(0.8), TimeSpan.FromSeconds(1.2));
    }
}
