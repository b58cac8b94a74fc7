using DistCron.Engine;

namespace DistCron.Tests.Engine;

/// <summary>When the first history prune of a node is due (<see cref="PruneTiming"/>).</summary>
public sealed class PruneTimingTests
{
    private static readonly TimeSpan Default = new HistoryRetention().Interval;

    [Theory]
    [InlineData(0.0, 0)]
    [InlineData(0.25, 15)]
    [InlineData(0.5, 30)]
    [InlineData(0.75, 45)]
    public void With_the_default_interval_the_first_prune_falls_in_the_first_minute_not_after_ten(double jitter, int seconds)
    {
        Assert.Equal(TimeSpan.FromMinutes(10), Default);
        Assert.Equal(TimeSpan.FromSeconds(seconds), PruneTiming.FirstPruneAfter(Default, jitter));
    }

    [Fact]
    public void The_highest_jitter_stays_inside_the_window()
    {
        var last = PruneTiming.FirstPruneAfter(Default, Math.BitDecrement(1.0));
        Assert.True(last < PruneTiming.FirstPruneWindow, $"{last}");
        Assert.True(last > PruneTiming.FirstPruneWindow - TimeSpan.FromMilliseconds(1), $"{last}");
    }

    [Theory]
    [InlineData(1, 0.5, 500)]        // an interval shorter than the window: within the first interval
    [InlineData(10, 0.5, 5_000)]
    [InlineData(60, 0.5, 30_000)]    // exactly the window
    [InlineData(61, 0.5, 30_000)]    // longer: the window
    [InlineData(86_400, 0.5, 30_000)]
    public void The_window_is_a_minute_or_the_interval_when_shorter(int intervalSeconds, double jitter, int expectedMs)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), PruneTiming.FirstPruneAfter(TimeSpan.FromSeconds(intervalSeconds), jitter));
    }

    [Fact]
    public void The_first_prune_is_never_later_than_one_interval_for_any_interval_and_jitter()
    {
        foreach (var interval in new[] { TimeSpan.FromTicks(1), TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(10), TimeSpan.FromDays(1) })
        {
            foreach (var jitter in new[] { 0.0, 0.1, 0.5, 0.9, Math.BitDecrement(1.0) })
            {
                var first = PruneTiming.FirstPruneAfter(interval, jitter);
                Assert.InRange(first, TimeSpan.Zero, interval);
                Assert.True(first <= PruneTiming.FirstPruneWindow, $"{interval} {jitter}: {first}");
            }
        }
    }

    [Fact]
    public void A_fleet_restarting_together_spreads_its_first_prunes_over_the_window()
    {
        var random = new Random(18);
        var seconds = Enumerable.Range(0, 1000).Select(_ => (int)PruneTiming.FirstPruneAfter(Default, random.NextDouble()).TotalSeconds).ToArray();
        var busiest = seconds.GroupBy(s => s).Max(g => g.Count());
        Assert.True(busiest <= 40, $"{busiest} of 1000 nodes prune in the same second"); // about 17 per second when spread
        Assert.Equal(60, seconds.Distinct().Count());
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void A_jitter_outside_zero_to_one_is_refused(double jitter)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => PruneTiming.FirstPruneAfter(Default, jitter));
    }

    [Fact]
    public void A_non_positive_interval_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => PruneTiming.FirstPruneAfter(TimeSpan.Zero, 0.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => PruneTiming.FirstPruneAfter(TimeSpan.FromSeconds(-1), 0.5));
    }
}
