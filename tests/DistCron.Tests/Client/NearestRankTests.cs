namespace DistCron.Tests.Client;

/// <summary>
/// Percentiles by nearest rank: the value at rank ⌈p × n / 100⌉ of the sorted values, always one of the values.
/// Expected values are worked out by hand from that definition.
/// </summary>
public class NearestRankTests
{
    private static TimeSpan Ms(long ms) => TimeSpan.FromMilliseconds(ms);

    private static TimeSpan[] Ms(params long[] values) => values.Select(Ms).ToArray();

    [Fact]
    public void No_values_have_no_percentile()
    {
        Assert.Null(NearestRank.Percentile([], 50));
        Assert.Null(NearestRank.Percentile([], 95));
        Assert.Null(new DurationStats(100, []).P50);
        Assert.Null(new DurationStats(100, []).P95);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(50)]
    [InlineData(95)]
    [InlineData(100)]
    public void One_value_is_every_percentile(int percent) =>
        Assert.Equal(Ms(1234), NearestRank.Percentile([Ms(1234)], percent));

    [Fact]
    public void Of_two_values_the_median_is_the_smaller_and_p95_the_larger()
    {
        // Ranks ⌈0.5 × 2⌉ = 1 and ⌈0.95 × 2⌉ = 2; never the mean (1.5 s), which no run took.
        Assert.Equal(Ms(1000), NearestRank.Percentile(Ms(2000, 1000), 50));
        Assert.Equal(Ms(2000), NearestRank.Percentile(Ms(2000, 1000), 95));
    }

    [Fact]
    public void All_equal_values_give_that_value()
    {
        var values = Enumerable.Repeat(Ms(700), 37).ToArray();
        Assert.Equal(Ms(700), NearestRank.Percentile(values, 50));
        Assert.Equal(Ms(700), NearestRank.Percentile(values, 95));
    }

    [Fact]
    public void P95_of_20_values_is_the_19th_smallest()
    {
        // 1..20 seconds, shuffled: rank ⌈0.95 × 20⌉ = 19, exactly (no rounding up to 20).
        var values = Enumerable.Range(1, 20).Select(i => TimeSpan.FromSeconds(i)).Reverse().ToArray();
        Assert.Equal(TimeSpan.FromSeconds(19), NearestRank.Percentile(values, 95));
        Assert.Equal(TimeSpan.FromSeconds(10), NearestRank.Percentile(values, 50));
        Assert.Equal(TimeSpan.FromSeconds(20), NearestRank.Percentile(values, 100));
        Assert.Equal(TimeSpan.FromSeconds(1), NearestRank.Percentile(values, 1));
    }

    [Fact]
    public void P95_of_100_values_is_the_95th_smallest_and_p50_the_50th()
    {
        var values = Enumerable.Range(1, 100).Select(i => Ms(i * 10L)).OrderBy(v => (v.Ticks * 7919) % 101).ToArray();
        Assert.Equal(Ms(950), NearestRank.Percentile(values, 95));
        Assert.Equal(Ms(500), NearestRank.Percentile(values, 50));
    }

    [Fact]
    public void P95_of_21_values_rounds_the_rank_up()
    {
        // 0.95 × 21 = 19.95: rank 20.
        var values = Enumerable.Range(1, 21).Select(i => Ms(i)).ToArray();
        Assert.Equal(Ms(20), NearestRank.Percentile(values, 95));
        Assert.Equal(Ms(11), NearestRank.Percentile(values, 50)); // 10.5: rank 11
    }

    [Fact]
    public void Huge_durations_are_ordered_and_returned_exactly()
    {
        var values = new[] { TimeSpan.MaxValue, TimeSpan.FromDays(40), Ms(1), TimeSpan.FromDays(10_000) };
        Assert.Equal(TimeSpan.FromDays(40), NearestRank.Percentile(values, 50));
        Assert.Equal(TimeSpan.MaxValue, NearestRank.Percentile(values, 95));
    }

    [Fact]
    public void The_rank_is_computed_without_overflow_or_rounding_error()
    {
        Assert.Equal(1, NearestRank.Rank(1, 1));
        Assert.Equal(19, NearestRank.Rank(20, 95));
        Assert.Equal(95, NearestRank.Rank(100, 95));
        Assert.Equal(int.MaxValue, NearestRank.Rank(int.MaxValue, 100));
        Assert.Equal(2_040_109_465, NearestRank.Rank(int.MaxValue, 95)); // ⌈2,040,109,464.65⌉
    }

    [Fact]
    public void The_input_is_left_in_its_order()
    {
        var values = Ms(3, 1, 2);
        _ = NearestRank.Percentile(values, 50);
        Assert.Equal(Ms(3, 1, 2), values);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(101)]
    [InlineData(-5)]
    public void A_percent_outside_1_to_100_is_refused(int percent) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => NearestRank.Percentile([Ms(1)], percent));

    [Fact]
    public void Duration_stats_take_the_percentiles_of_their_runs()
    {
        var runs = Enumerable.Range(1, 20)
            .Select(i => new RecentRun(i, i % 5 == 0 ? RunStatus.Failed : RunStatus.Succeeded, DateTimeOffset.UnixEpoch, TimeSpan.FromSeconds(i)))
            .ToList();
        var stats = new DurationStats(100, runs);
        Assert.Equal(TimeSpan.FromSeconds(10), stats.P50);
        Assert.Equal(TimeSpan.FromSeconds(19), stats.P95);
    }
}
