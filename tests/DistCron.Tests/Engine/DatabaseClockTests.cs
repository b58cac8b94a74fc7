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
        clock.Observe(DbNow);
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
        clock.Observe(DbNow);
        time.Advance(TimeSpan.FromMilliseconds(250));
        Assert.Equal(DbNow.AddMilliseconds(250), clock.UtcNow);
        Assert.Equal(TimeSpan.FromMilliseconds(750), clock.Until(DbNow.AddSeconds(1)));
    }

    [Fact]
    public void The_estimate_never_runs_ahead_of_the_database_whatever_the_latency()
    {
        // The database read now() somewhere inside a 100 ms round trip; whichever instant it was, the estimate taken
        // when the answer arrives must not be later than the database's own clock at that moment.
        foreach (var evaluatedAfterMs in new[] { 0, 50, 100 })
        {
            var time = new FakeTimeProvider(DbNow);
            var clock = new DatabaseClock(time);
            time.Advance(TimeSpan.FromMilliseconds(100));
            var databaseTimeNow = DbNow.AddMilliseconds(100 - evaluatedAfterMs); // its now() plus what passed since
            clock.Observe(DbNow);
            Assert.True(clock.UtcNow <= databaseTimeNow, $"estimate {clock.UtcNow:O} leads the database {databaseTimeNow:O}");
        }
    }

    [Fact]
    public void A_later_observation_replaces_the_anchor_even_when_the_database_clock_stepped_back()
    {
        var time = new FakeTimeProvider(DbNow);
        var clock = new DatabaseClock(time);
        clock.Observe(DbNow);
        time.Advance(TimeSpan.FromSeconds(10));
        clock.Observe(DbNow.AddSeconds(8));
        Assert.Equal(DbNow.AddSeconds(8), clock.UtcNow);
    }

    [Fact]
    public void Until_a_past_instant_is_zero_and_reading_before_any_observation_throws()
    {
        var time = new FakeTimeProvider(DbNow);
        var clock = new DatabaseClock(time);
        Assert.False(clock.IsSynchronized);
        Assert.Throws<InvalidOperationException>(() => clock.UtcNow);
        clock.Observe(DbNow);
        Assert.True(clock.IsSynchronized);
        Assert.Equal(TimeSpan.Zero, clock.Until(DbNow.AddSeconds(-1)));
    }

    [Fact]
    public void Offsets_are_normalised_to_utc()
    {
        var time = new FakeTimeProvider(DbNow);
        var clock = new DatabaseClock(time);
        clock.Observe(DbNow.ToOffset(TimeSpan.FromHours(2)));
        Assert.Equal(TimeSpan.Zero, clock.UtcNow.Offset);
        Assert.Equal(DbNow, clock.UtcNow);
    }
}
