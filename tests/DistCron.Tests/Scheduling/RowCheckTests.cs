using DistCron.Scheduling;

namespace DistCron.Tests.Scheduling;

public class RowCheckTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_row_as_DistCron_writes_it_passes()
    {
        Assert.Null(RowCheck.Problem(Now, Now, 1));
        Assert.Null(RowCheck.Problem(Now, Now.AddSeconds(10), 7));
        Assert.Null(RowCheck.Problem(RowCheck.Earliest, RowCheck.Earliest, 1));
        Assert.Null(RowCheck.Problem(RowCheck.Latest.AddTicks(-1), RowCheck.Latest.AddTicks(-1), int.MaxValue - 1));
    }

    [Fact]
    public void Implausible_times_are_corrupt_rows_named_by_column()
    {
        Assert.Equal(
            "corrupt row: occurrence_at is -infinity (0001-01-01), expected a time between 1970-01-01T00:00:00.000Z and 9000-01-01T00:00:00.000Z; a node that starts with the job's code writes the row again",
            RowCheck.Problem(DateTimeOffset.MinValue, Now, 1));
        Assert.StartsWith("corrupt row: occurrence_at is infinity (9999-12-31)", RowCheck.Problem(DateTimeOffset.MaxValue, Now, 1));
        Assert.StartsWith("corrupt row: occurrence_at is 1969-12-31T23:59:59.999Z", RowCheck.Problem(RowCheck.Earliest.AddMilliseconds(-1), Now, 1));
        Assert.StartsWith("corrupt row: occurrence_at is 9000-01-01T00:00:00.000Z", RowCheck.Problem(RowCheck.Latest, Now, 1));
        Assert.StartsWith("corrupt row: next_due_at is -infinity (0001-01-01)", RowCheck.Problem(Now, DateTimeOffset.MinValue, 1));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    [InlineData(int.MaxValue)] // a failed run's retry writes attempt + 1
    public void Attempts_outside_one_to_int_max_are_corrupt(int attempt)
    {
        Assert.Equal(
            $"corrupt row: attempt is {attempt}, expected a count from 1; a node that starts with the job's code writes the row again",
            RowCheck.Problem(Now, Now, attempt));
    }

    [Fact]
    public void A_fence_at_the_largest_bigint_is_corrupt_and_one_below_is_not()
    {
        Assert.Null(RowCheck.Problem(Now, Now, 1, long.MaxValue - 1));
        Assert.Null(RowCheck.Problem(Now, Now, 1, -5));
        Assert.StartsWith("corrupt row: fence is 9223372036854775807, expected a claim counter below the largest bigint", RowCheck.Problem(Now, Now, 1, long.MaxValue));
    }

    [Fact]
    public void Every_time_that_passes_leaves_room_for_the_arithmetic_after_the_run()
    {
        // A non-UTC zone: AfterRun converts the occurrence into the zone (Cronos), the hole A.9 named for -infinity.
        var paris = TimeZoneInfo.FindSystemTimeZoneById("Europe/Paris");
        var schedule = ScheduleResolver.Resolve("0 * * * *", "Europe/Paris", "job").Schedule!;
        foreach (var at in new[] { RowCheck.Earliest, RowCheck.Latest.AddTicks(-1) })
        {
            Assert.Null(RowCheck.Problem(at, at, 1));
            _ = TimeZoneInfo.ConvertTime(at, paris);
            _ = RunRules.AfterRun(schedule, MisfirePolicy.RunOnce, new ClaimDecision(true, false, false), at, 1, succeeded: false,
                maxRetries: 5, TimeSpan.FromDays(24), Now, TimeSpan.FromMinutes(1));
            _ = RunRules.AfterRun(schedule, MisfirePolicy.Skip, new ClaimDecision(true, true, true), at, 1, succeeded: true,
                maxRetries: 0, null, Now, TimeSpan.FromMinutes(1));
        }
    }
}
