using DistCron.Scheduling;

namespace DistCron.Tests.Scheduling;

/// <summary>Next occurrence in the job's time zone, including both DST transitions, for minute- and second-level jobs.</summary>
public class NextOccurrenceTests
{
    private static JobSchedule Schedule(string cron, string timeZone = "UTC")
    {
        var result = ScheduleResolver.Resolve(cron, timeZone, "job");
        Assert.True(result.Success, result.Error);
        return result.Schedule!;
    }

    private static DateTimeOffset Utc(int y, int mo, int d, int h, int mi, int s = 0) => new(y, mo, d, h, mi, s, TimeSpan.Zero);

    [Fact]
    public void Next_is_strictly_after_the_instant()
    {
        var s = Schedule("0 * * * *");
        Assert.Equal(Utc(2025, 1, 1, 11, 0), s.NextAfter(Utc(2025, 1, 1, 10, 0)));
        Assert.Equal(Utc(2025, 1, 1, 11, 0), s.NextAfter(Utc(2025, 1, 1, 10, 59, 59)));
    }

    [Fact]
    public void Result_is_in_utc()
    {
        var s = Schedule("0 9 * * *", "Europe/Paris");
        var next = s.NextAfter(Utc(2025, 1, 1, 0, 0))!.Value;
        Assert.Equal(TimeSpan.Zero, next.Offset);
        Assert.Equal(Utc(2025, 1, 1, 8, 0), next);
    }

    [Fact]
    public void Schedule_that_never_fires_again_gives_null()
    {
        var s = Schedule("0 0 30 2 *"); // 30 February
        Assert.Null(s.NextAfter(Utc(2025, 1, 1, 0, 0)));
    }

    // New York springs forward on 2025-03-09: 02:00 EST (07:00Z) becomes 03:00 EDT; 02:xx local does not exist.
    [Fact]
    public void Spring_forward_new_york_daily_time_in_the_gap_fires_once_at_the_end_of_the_gap()
    {
        var s = Schedule("30 2 * * *", "America/New_York");
        var onDay = s.NextAfter(Utc(2025, 3, 9, 0, 0))!.Value;
        Assert.Equal(Utc(2025, 3, 9, 7, 0), onDay); // 03:00 EDT
        Assert.Equal(Utc(2025, 3, 10, 6, 30), s.NextAfter(onDay)); // 02:30 EDT the next day
    }

    [Fact]
    public void Spring_forward_new_york_every_minute_has_no_gap_in_utc()
    {
        var s = Schedule("* * * * *", "America/New_York");
        Assert.Equal(Utc(2025, 3, 9, 7, 0), s.NextAfter(Utc(2025, 3, 9, 6, 59))); // 01:59 EST -> 03:00 EDT
        Assert.Equal(Utc(2025, 3, 9, 7, 1), s.NextAfter(Utc(2025, 3, 9, 7, 0)));
    }

    [Fact]
    public void Spring_forward_new_york_seconds_job_continues_second_by_second()
    {
        var s = Schedule("*/15 * * * * *", "America/New_York");
        Assert.Equal(Utc(2025, 3, 9, 7, 0, 0), s.NextAfter(Utc(2025, 3, 9, 6, 59, 45)));
        Assert.Equal(Utc(2025, 3, 9, 7, 0, 15), s.NextAfter(Utc(2025, 3, 9, 7, 0, 0)));
    }

    [Fact]
    public void Spring_forward_new_york_seconds_job_at_a_fixed_time_in_the_gap_fires_at_the_end_of_the_gap()
    {
        var s = Schedule("10 30 2 * * *", "America/New_York");
        Assert.Equal(Utc(2025, 3, 9, 7, 0, 0), s.NextAfter(Utc(2025, 3, 9, 0, 0)));
    }

    // New York falls back on 2025-11-02: 02:00 EDT (06:00Z) becomes 01:00 EST; 01:xx local happens twice.
    [Fact]
    public void Fall_back_new_york_fixed_time_in_the_repeated_hour_fires_once()
    {
        var s = Schedule("30 1 * * *", "America/New_York");
        var first = s.NextAfter(Utc(2025, 11, 2, 0, 0))!.Value;
        Assert.Equal(Utc(2025, 11, 2, 5, 30), first); // 01:30 EDT
        Assert.Equal(Utc(2025, 11, 3, 6, 30), s.NextAfter(first)); // not 01:30 EST (06:30Z) the same day
    }

    [Fact]
    public void Fall_back_new_york_interval_job_fires_in_both_copies_of_the_hour()
    {
        var s = Schedule("*/30 * * * *", "America/New_York");
        var at = Utc(2025, 11, 2, 5, 0); // 01:00 EDT
        var seen = new List<DateTimeOffset>();
        for (var i = 0; i < 4; i++)
        {
            at = s.NextAfter(at)!.Value;
            seen.Add(at);
        }

        Assert.Equal(new[] { Utc(2025, 11, 2, 5, 30), Utc(2025, 11, 2, 6, 0), Utc(2025, 11, 2, 6, 30), Utc(2025, 11, 2, 7, 0) }, seen);
    }

    [Fact]
    public void Fall_back_new_york_seconds_job_keeps_its_cadence_through_the_repeated_hour()
    {
        var s = Schedule("*/20 * * * * *", "America/New_York");
        Assert.Equal(Utc(2025, 11, 2, 6, 0, 0), s.NextAfter(Utc(2025, 11, 2, 5, 59, 40)));
        Assert.Equal(Utc(2025, 11, 2, 6, 0, 20), s.NextAfter(Utc(2025, 11, 2, 6, 0, 0)));
    }

    [Fact]
    public void Fall_back_new_york_seconds_job_at_a_fixed_time_fires_once()
    {
        var s = Schedule("15 30 1 * * *", "America/New_York");
        var first = s.NextAfter(Utc(2025, 11, 2, 0, 0))!.Value;
        Assert.Equal(Utc(2025, 11, 2, 5, 30, 15), first);
        Assert.Equal(Utc(2025, 11, 3, 6, 30, 15), s.NextAfter(first));
    }

    // London springs forward on 2025-03-30: 01:00 GMT becomes 02:00 BST; falls back on 2025-10-26: 02:00 BST -> 01:00 GMT.
    [Fact]
    public void Spring_forward_london_daily_time_in_the_gap_fires_at_the_end_of_the_gap()
    {
        var s = Schedule("30 1 * * *", "Europe/London");
        Assert.Equal(Utc(2025, 3, 30, 1, 0), s.NextAfter(Utc(2025, 3, 29, 23, 0))); // 02:00 BST
        Assert.Equal(Utc(2025, 3, 31, 0, 30), s.NextAfter(Utc(2025, 3, 30, 1, 0))); // 01:30 BST
    }

    [Fact]
    public void Fall_back_london_fixed_time_fires_once_and_hourly_fires_twice()
    {
        var daily = Schedule("30 1 * * *", "Europe/London");
        var first = daily.NextAfter(Utc(2025, 10, 25, 23, 0))!.Value;
        Assert.Equal(Utc(2025, 10, 26, 0, 30), first); // 01:30 BST
        Assert.Equal(Utc(2025, 10, 27, 1, 30), daily.NextAfter(first)); // next day 01:30 GMT

        var hourly = Schedule("0 * * * *", "Europe/London");
        Assert.Equal(Utc(2025, 10, 26, 1, 0), hourly.NextAfter(Utc(2025, 10, 26, 0, 0))); // 01:00 GMT, the repeated hour
    }

    [Fact]
    public void Seconds_job_in_london_across_spring_forward_has_no_gap()
    {
        var s = Schedule("* * * * * *", "Europe/London");
        Assert.Equal(Utc(2025, 3, 30, 1, 0, 0), s.NextAfter(Utc(2025, 3, 30, 0, 59, 59)));
    }
}
