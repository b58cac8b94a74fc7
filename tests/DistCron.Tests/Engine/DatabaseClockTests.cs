using DistCron.Engine;
using Microsoft.Extensions.Time.Testing;

namespace DistCron.Tests.Engine;

public class DatabaseClockTests
{
    private static readonly DateTimeOffset DbNow = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Now_is_the_last_database_time_plus_monotonic_elapsed_time()
    {
        var time = new FakeTimeProvider(DbNow.AddMinutes(10)); // this machine's wall clock is 10 minutes fast
        var clock = new DatabaseClock(time);
        var sent = clock.StartRoundTrip();
        clock.Observe(DbNow, sent);
        Assert.Equal(DbNow, clock.UtcNow);

        time.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(DbNow.AddSeconds(3), clock.UtcNow);
    }

    [Theory]
    [InlineData(-600)]
    [InlineData(0)]
    [InlineData(600)]
    public void Wall_clock_skew_does_not_change_the_database_time(int skewSeconds)
    {
        var time = new FakeTimeProvider(DbNow.AddSeconds(skewSeconds));
        var clock = new DatabaseClock(time);
        clock.Observe(DbNow, clock.StartRoundTrip());
        time.Advance(TimeSpan.FromMilliseconds(250));
        Assert.Equal(DbNow.AddMilliseconds(250), clock.UtcNow);
        Assert.Equal(TimeSpan.FromMilliseconds(750), clock.Until(DbNow.AddSeconds(1)));
    }

    [Fact]
    public void The_database_time_is_anchored_at_the_middle_of_the_round_trip()
    {
        var time = new FakeTimeProvider(DbNow);
        var clock = new DatabaseClock(time);
        var sent = clock.StartRoundTrip();
        time.Advance(TimeSpan.FromMilliseconds(100)); // 100 ms round trip
        clock.Observe(DbNow, sent);
        Assert.Equal(DbNow.AddMilliseconds(50), clock.UtcNow);
    }

    [Fact]
    public void A_later_observation_replaces_the_anchor_even_when_the_database_clock_stepped_back()
    {
        var time = new FakeTimeProvider(DbNow);
        var clock = new DatabaseClock(time);
        clock.Observe(DbNow, clock.StartRoundTrip());
        time.Advance(TimeSpan.FromSeconds(10));
        clock.Observe(DbNow.AddSeconds(8), clock.StartRoundTrip());
        Assert.Equal(DbNow.AddSeconds(8), clock.UtcNow);
    }

    [Fact]
    public void Until_a_past_instant_is_zero_and_reading_before_any_observation_throws()
    {
        var time = new FakeTimeProvider(DbNow);
        var clock = new DatabaseClock(time);
        Assert.False(clock.IsSynchronized);
        Assert.Throws<InvalidOperationException>(() => clock.UtcNow);
        clock.Observe(DbNow, clock.StartRoundTrip());
        Assert.True(clock.IsSynchronized);
        Assert.Equal(TimeSpan.Zero, clock.Until(DbNow.AddSeconds(-1)));
    }

    [Fact]
    public void Offsets_are_normalised_to_utc()
    {
        var time = new FakeTimeProvider(DbNow);
        var clock = new DatabaseClock(time);
        clock.Observe(DbNow.ToOffset(TimeSpan.FromHours(2)), clock.StartRoundTrip());
        Assert.Equal(TimeSpan.Zero, clock.UtcNow.Offset);
        Assert.Equal(DbNow, clock.UtcNow);
    }
}
