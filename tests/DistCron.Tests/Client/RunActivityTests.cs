namespace DistCron.Tests.Client;

/// <summary>The window a store's bucket counts become: every bucket present, oldest first, ending at the database's now.</summary>
public class RunActivityTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 29, 1, 30, 15, 250, TimeSpan.Zero);
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    [Fact]
    public void Buckets_the_store_did_not_count_are_empty()
    {
        var activity = RunActivity.FromCounts(Now, Minute, 60, [(3, 2, 1), (59, 5, 0)]);
        Assert.Equal(Now, activity.To);
        Assert.Equal(Now.AddHours(-1), activity.From);
        Assert.Equal(60, activity.Buckets.Count);
        Assert.Equal((2, 1), (activity.Buckets[3].Runs, activity.Buckets[3].Failures));
        Assert.Equal((5, 0), (activity.Buckets[59].Runs, activity.Buckets[59].Failures));
        Assert.Equal(58, activity.Buckets.Count(b => b.Runs == 0 && b.Failures == 0));
        Assert.Equal((7, 1), (activity.Runs, activity.Failures));
    }

    [Fact]
    public void Buckets_tile_the_window_without_gaps()
    {
        var activity = RunActivity.FromCounts(Now, Minute, 60, []);
        Assert.Equal(activity.From, activity.Buckets[0].Start);
        Assert.Equal(activity.To, activity.Buckets[^1].End);
        for (var i = 1; i < 60; i++) Assert.Equal(activity.Buckets[i - 1].End, activity.Buckets[i].Start);
        Assert.Equal((0, 0), (activity.Runs, activity.Failures));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(60)]
    public void A_count_outside_the_window_is_a_store_defect(int bucket) =>
        Assert.Throws<InvalidOperationException>(() => RunActivity.FromCounts(Now, Minute, 60, [(bucket, 1, 0)]));
}
