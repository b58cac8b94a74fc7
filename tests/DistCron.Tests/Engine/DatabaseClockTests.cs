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
        Observe(clock, time, DbNow);
        Assert.Equal(DbNow, clock.UtcNow);

        time.Advance(TimeSpan.FromSeconds(3));
        // Less the drift allowance: 50 ppm of 3 s.
        Assert.Equal(DbNow.AddSeconds(3) - TimeSpan.FromMicroseconds(150), clock.UtcNow);
    }

    [Theory]
    [InlineData(-600)]
    [InlineData(0)]
    [InlineData(600)]
    public void Wall_clock_skew_does_not_change_the_database_time(int skewSeconds)
    {
        var time = new FakeTimeProvider(DbNow.AddSeconds(skewSeconds));
        var clock = new DatabaseClock(time);
        Observe(clock, time, DbNow);
        time.Advance(TimeSpan.FromMilliseconds(250));
        var allowance = TimeSpan.FromTicks((long)Math.Ceiling(TimeSpan.FromMilliseconds(250).Ticks * DatabaseClock.MaxDriftRate));
        Assert.Equal(DbNow.AddMilliseconds(250) - allowance, clock.UtcNow);
        Assert.Equal(TimeSpan.FromMilliseconds(750) + allowance, clock.Until(DbNow.AddSeconds(1)));
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
            var sentAt = clock.RoundTripStarts();
            time.Advance(TimeSpan.FromMilliseconds(100));
            var databaseTimeNow = DbNow.AddMilliseconds(100 - evaluatedAfterMs); // its now() plus what passed since
            clock.Observe(DbNow, sentAt);
            Assert.True(clock.UtcNow <= databaseTimeNow, $"estimate {clock.UtcNow:O} leads the database {databaseTimeNow:O}");
        }
    }

    [Fact]
    public void A_later_observation_replaces_the_anchor_even_when_the_database_clock_stepped_back()
    {
        var time = new FakeTimeProvider(DbNow);
        var clock = new DatabaseClock(time);
        Observe(clock, time, DbNow);
        time.Advance(TimeSpan.FromSeconds(1));
        // A 5 ms round trip read 2 s less than the kept bound: the database clock cannot be that far back unless it
        // stepped back, so the kept bound is dropped.
        Observe(clock, time, DbNow.AddSeconds(-1).AddMilliseconds(2), roundTrip: TimeSpan.FromMilliseconds(5));
        Assert.Equal(DbNow.AddSeconds(-1).AddMilliseconds(2), clock.UtcNow);
    }

    [Fact]
    public void A_slow_round_trip_does_not_drag_the_estimate_back()
    {
        var time = new FakeTimeProvider(DbNow);
        var clock = new DatabaseClock(time);
        // A fast round trip (1 ms) whose reading was taken half-way: the estimate lags the database by 0.5 ms.
        RoundTrip(clock, time, TimeSpan.FromMilliseconds(1), readBeforeEnd: TimeSpan.FromMilliseconds(0.5));
        time.Advance(TimeSpan.FromSeconds(1));
        var before = clock.UtcNow;

        // A round trip slowed to 20 ms on a busy machine, read 1 ms after it was sent: taking it as the anchor would
        // put the estimate 19 ms behind the database. The kept bound is higher and still possible, so it stays.
        RoundTrip(clock, time, TimeSpan.FromMilliseconds(20), readBeforeEnd: TimeSpan.FromMilliseconds(19));
        Assert.Equal(before.AddMilliseconds(20) - Allowance(TimeSpan.FromMilliseconds(20)), clock.UtcNow);
        Assert.True(clock.UtcNow <= time.GetUtcNow(), "never ahead of the database");
        Assert.True(time.GetUtcNow() - clock.UtcNow < TimeSpan.FromMilliseconds(1), $"lags {time.GetUtcNow() - clock.UtcNow}");
    }

    [Fact]
    public void A_higher_reading_replaces_the_kept_bound()
    {
        var time = new FakeTimeProvider(DbNow);
        var clock = new DatabaseClock(time);
        RoundTrip(clock, time, TimeSpan.FromMilliseconds(20), readBeforeEnd: TimeSpan.FromMilliseconds(15));
        time.Advance(TimeSpan.FromMilliseconds(500));
        var read = RoundTrip(clock, time, TimeSpan.FromMilliseconds(0.4), readBeforeEnd: TimeSpan.FromMilliseconds(0.2));
        Assert.Equal(read, clock.UtcNow);
    }

    [Fact]
    public void A_kept_bound_is_replaced_by_the_latest_reading_once_it_is_too_old()
    {
        var time = new FakeTimeProvider(DbNow);
        var clock = new DatabaseClock(time);
        RoundTrip(clock, time, TimeSpan.Zero, TimeSpan.Zero);
        time.Advance(DatabaseClock.MaxAnchorAge - TimeSpan.FromMilliseconds(10));
        var worse = RoundTrip(clock, time, TimeSpan.FromMilliseconds(5), readBeforeEnd: TimeSpan.FromMilliseconds(3));
        Assert.True(clock.UtcNow > worse, "a worse reading leaves the younger bound in place");

        time.Advance(TimeSpan.FromMilliseconds(10));
        worse = RoundTrip(clock, time, TimeSpan.FromMilliseconds(5), readBeforeEnd: TimeSpan.FromMilliseconds(3));
        Assert.Equal(worse, clock.UtcNow);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Over_many_random_round_trips_the_estimate_never_leads_a_database_whose_clock_drifts_within_the_allowance(int seed)
    {
        // The database clock runs up to MaxDriftRate slower or faster than this machine's, reads its clock at a random
        // point of each round trip, and round trips take 0.1–30 ms; the estimate is read at random moments between.
        var random = new Random(seed);
        var rate = 1 + (random.NextDouble() * 2 - 1) * DatabaseClock.MaxDriftRate;
        var time = new FakeTimeProvider(DbNow);
        var clock = new DatabaseClock(time);
        DateTimeOffset Database() => DbNow + TimeSpan.FromTicks((long)Math.Floor((time.GetUtcNow() - DbNow).Ticks * rate));

        for (var i = 0; i < 20_000; i++)
        {
            var sentAt = clock.RoundTripStarts();
            var roundTrip = TimeSpan.FromMilliseconds(0.1 + random.NextDouble() * random.NextDouble() * 30);
            var readAfter = roundTrip * random.NextDouble();
            time.Advance(readAfter);
            var read = Database();
            time.Advance(roundTrip - readAfter);
            clock.Observe(read, sentAt);

            Assert.True(clock.UtcNow >= read, "the estimate is at least the latest reading");
            time.Advance(TimeSpan.FromMilliseconds(random.NextDouble() * 2_000));
            Assert.True(clock.UtcNow <= Database(), $"round trip {i}: estimate {clock.UtcNow:O} leads the database {Database():O}");
        }
    }

    // A round trip of roundTrip that has just ended, during which the database (whose clock is this test's fake clock)
    // read its clock readBeforeEnd before the end. Returns the reading.
    private static DateTimeOffset RoundTrip(DatabaseClock clock, FakeTimeProvider time, TimeSpan roundTrip, TimeSpan readBeforeEnd)
    {
        var sentAt = clock.RoundTripStarts();
        time.Advance(roundTrip);
        var read = time.GetUtcNow() - readBeforeEnd;
        clock.Observe(read, sentAt);
        return read;
    }

    private static TimeSpan Allowance(TimeSpan elapsed) => TimeSpan.FromTicks((long)Math.Ceiling(elapsed.Ticks * DatabaseClock.MaxDriftRate));

    // A round trip of roundTrip (default: instantaneous) that has just ended and read databaseNow.
    private static void Observe(DatabaseClock clock, FakeTimeProvider time, DateTimeOffset databaseNow, TimeSpan roundTrip = default)
    {
        var sentAt = clock.RoundTripStarts();
        time.Advance(roundTrip);
        clock.Observe(databaseNow, sentAt);
    }

    [Fact]
    public void Until_a_past_instant_is_zero_and_reading_before_any_observation_throws()
    {
        var time = new FakeTimeProvider(DbNow);
        var clock = new DatabaseClock(time);
        Assert.False(clock.IsSynchronized);
        Assert.Throws<InvalidOperationException>(() => clock.UtcNow);
        Observe(clock, time, DbNow);
        Assert.True(clock.IsSynchronized);
        Assert.Equal(TimeSpan.Zero, clock.Until(DbNow.AddSeconds(-1)));
    }

    [Fact]
    public void Offsets_are_normalised_to_utc()
    {
        var time = new FakeTimeProvider(DbNow);
        var clock = new DatabaseClock(time);
        Observe(clock, time, DbNow.ToOffset(TimeSpan.FromHours(2)));
        Assert.Equal(TimeSpan.Zero, clock.UtcNow.Offset);
        Assert.Equal(DbNow, clock.UtcNow);
    }
}
