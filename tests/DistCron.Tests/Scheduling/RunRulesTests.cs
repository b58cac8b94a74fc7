using DistCron.Scheduling;

namespace DistCron.Tests.Scheduling;

/// <summary>Misfire, overrun and retry rules; every "now" is a database time handed in.</summary>
public class RunRulesTests
{
    private static readonly TimeSpan Threshold = TimeSpan.FromMinutes(1);
    private static readonly JobSchedule EveryMinute = Resolve("* * * * *");
    private static readonly JobSchedule Hourly = Resolve("0 * * * *");

    private static JobSchedule Resolve(string cron)
    {
        var result = ScheduleResolver.Resolve(cron, "UTC", "job");
        Assert.True(result.Success, result.Error);
        return result.Schedule!;
    }

    private static DateTimeOffset T(int h, int m, int s = 0) => new(2025, 1, 1, h, m, s, TimeSpan.Zero);
    private static DateTimeOffset T(int h, int m, int s, int ms) => new(2025, 1, 1, h, m, s, ms, TimeSpan.Zero);

    private static ClaimDecision Claim(JobSchedule s, MisfirePolicy p, DateTimeOffset occ, DateTimeOffset due, int attempt, DateTimeOffset now, bool manual = false) =>
        RunRules.OnClaim(s, p, occ, due, attempt, manual, now, Threshold);

    private static NextDue After(JobSchedule s, MisfirePolicy p, ClaimDecision d, DateTimeOffset occ, int attempt, bool ok, int maxRetries, DateTimeOffset now, TimeSpan? retryDelay = null) =>
        RunRules.AfterRun(s, p, d, occ, attempt, ok, maxRetries, retryDelay, now, Threshold);

    // ---- first due and misfire detection ----

    [Fact]
    public void First_due_is_the_first_occurrence_strictly_after_database_now()
    {
        Assert.Equal(NextDue.Occurrence(T(11, 0)), RunRules.FirstDue(Hourly, T(10, 0)));
        Assert.Equal(NextDue.Occurrence(T(11, 0)), RunRules.FirstDue(Hourly, T(10, 30)));
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(59_999, false)]
    [InlineData(60_000, false)]
    [InlineData(60_001, true)]
    [InlineData(3_600_000, true)]
    public void Misfired_means_later_than_the_threshold(int lateMs, bool misfired) =>
        Assert.Equal(misfired, RunRules.IsMisfired(T(10, 0), T(10, 0).AddMilliseconds(lateMs), Threshold));

    [Theory]
    [InlineData(MisfirePolicy.RunOnce)]
    [InlineData(MisfirePolicy.Skip)]
    public void On_time_claim_runs_normally_under_either_policy(MisfirePolicy policy)
    {
        var d = Claim(EveryMinute, policy, T(10, 0), T(10, 0), 1, T(10, 0, 1));
        Assert.Equal(new ClaimDecision(Run: true, CatchUp: false, Misfired: false), d);
    }

    [Fact]
    public void Misfired_claim_under_run_once_runs_as_a_catch_up()
    {
        var d = Claim(Hourly, MisfirePolicy.RunOnce, T(7, 0), T(7, 0), 1, T(10, 0, 30));
        Assert.Equal(new ClaimDecision(Run: true, CatchUp: true, Misfired: true), d);
    }

    [Fact]
    public void Misfired_claim_under_skip_is_not_run_and_resumes_after_database_now()
    {
        var d = Claim(Hourly, MisfirePolicy.Skip, T(7, 0), T(7, 0), 1, T(10, 0, 30));
        Assert.False(d.Run);
        Assert.True(d.Misfired);
        Assert.Equal(NextDue.Occurrence(T(11, 0)), RunRules.AfterSkip(Hourly, T(10, 0, 30)));
    }

    [Fact]
    public void Manual_trigger_always_runs_and_resumes_the_schedule_after_now()
    {
        var d = Claim(Hourly, MisfirePolicy.Skip, T(7, 0), T(7, 0), 1, T(10, 0, 30), manual: true);
        Assert.Equal(new ClaimDecision(Run: true, CatchUp: true, Misfired: false), d);
        Assert.Equal(NextDue.Occurrence(T(11, 0)), After(Hourly, MisfirePolicy.Skip, d, T(7, 0), 1, true, 0, T(10, 0, 40)));
    }

    [Fact]
    public void Misfire_is_measured_from_the_due_time_so_an_on_time_retry_of_an_old_occurrence_is_not_misfired()
    {
        var d = Claim(Hourly, MisfirePolicy.Skip, T(10, 0), T(10, 5), 2, T(10, 5, 1));
        Assert.Equal(new ClaimDecision(Run: true, CatchUp: false, Misfired: false), d);
    }

    [Fact]
    public void Late_retry_under_skip_is_skipped()
    {
        var d = Claim(Hourly, MisfirePolicy.Skip, T(10, 0), T(10, 5), 2, T(10, 30));
        Assert.False(d.Run);
    }

    // ---- completion of successful runs ----

    [Fact]
    public void On_time_success_moves_to_the_next_occurrence_after_the_run_occurrence()
    {
        var d = Claim(EveryMinute, MisfirePolicy.RunOnce, T(10, 0), T(10, 0), 1, T(10, 0, 0));
        Assert.Equal(NextDue.Occurrence(T(10, 1)), After(EveryMinute, MisfirePolicy.RunOnce, d, T(10, 0), 1, true, 0, T(10, 0, 5)));
    }

    [Theory]
    [InlineData(MisfirePolicy.RunOnce)]
    [InlineData(MisfirePolicy.Skip)]
    public void Overrun_within_the_threshold_runs_the_next_occurrence_late(MisfirePolicy policy)
    {
        var d = Claim(EveryMinute, policy, T(10, 0), T(10, 0), 1, T(10, 0, 0));
        Assert.Equal(NextDue.Occurrence(T(10, 1)), After(EveryMinute, policy, d, T(10, 0), 1, true, 0, T(10, 1, 59)));
    }

    [Fact]
    public void Overrun_beyond_the_threshold_under_run_once_leaves_the_oldest_missed_occurrence_due()
    {
        var d = Claim(EveryMinute, MisfirePolicy.RunOnce, T(10, 0), T(10, 0), 1, T(10, 0, 0));
        var next = After(EveryMinute, MisfirePolicy.RunOnce, d, T(10, 0), 1, true, 0, T(10, 5, 30));
        Assert.Equal(NextDue.Occurrence(T(10, 1)), next);

        // Claimed at once, it is misfired: one catch-up run, then the schedule resumes after the database now.
        var catchUp = Claim(EveryMinute, MisfirePolicy.RunOnce, T(10, 1), T(10, 1), 1, T(10, 5, 31));
        Assert.True(catchUp.Run && catchUp.CatchUp);
        Assert.Equal(NextDue.Occurrence(T(10, 6)), After(EveryMinute, MisfirePolicy.RunOnce, catchUp, T(10, 1), 1, true, 0, T(10, 5, 40)));
    }

    [Fact]
    public void Overrun_beyond_the_threshold_under_skip_jumps_to_the_first_occurrence_after_now()
    {
        var d = Claim(EveryMinute, MisfirePolicy.Skip, T(10, 0), T(10, 0), 1, T(10, 0, 0));
        Assert.Equal(NextDue.Occurrence(T(10, 6)), After(EveryMinute, MisfirePolicy.Skip, d, T(10, 0), 1, true, 0, T(10, 5, 30)));
    }

    [Fact]
    public void Catch_up_run_collapses_every_missed_occurrence_into_itself()
    {
        // Down from 07:00 to 10:00:30: three hourly occurrences missed, one run, next due 11:00.
        var d = Claim(Hourly, MisfirePolicy.RunOnce, T(7, 0), T(7, 0), 1, T(10, 0, 30));
        Assert.Equal(NextDue.Occurrence(T(11, 0)), After(Hourly, MisfirePolicy.RunOnce, d, T(7, 0), 1, true, 0, T(10, 0, 31)));
    }

    [Fact]
    public void Schedule_that_never_fires_again_completes_with_no_due_time()
    {
        var never = Resolve("0 0 30 2 *");
        var d = new ClaimDecision(Run: true, CatchUp: false, Misfired: false);
        Assert.Equal(new NextDue(null, null, 1), After(never, MisfirePolicy.RunOnce, d, T(10, 0), 1, true, 0, T(10, 0, 1)));
    }

    // ---- failures and retries ----

    [Fact]
    public void Failure_without_retries_moves_to_the_next_occurrence()
    {
        var d = Claim(Hourly, MisfirePolicy.RunOnce, T(10, 0), T(10, 0), 1, T(10, 0));
        Assert.Equal(NextDue.Occurrence(T(11, 0)), After(Hourly, MisfirePolicy.RunOnce, d, T(10, 0), 1, false, 0, T(10, 0, 5)));
    }

    [Fact]
    public void Retries_back_off_exponentially_for_the_same_occurrence_then_give_up()
    {
        var d = Claim(Hourly, MisfirePolicy.RunOnce, T(10, 0), T(10, 0), 1, T(10, 0));
        var delay = TimeSpan.FromSeconds(10);
        Assert.Equal(new NextDue(T(10, 0, 15), T(10, 0), 2), After(Hourly, MisfirePolicy.RunOnce, d, T(10, 0), 1, false, 3, T(10, 0, 5), delay));
        Assert.Equal(new NextDue(T(10, 0, 35), T(10, 0), 3), After(Hourly, MisfirePolicy.RunOnce, d, T(10, 0), 2, false, 3, T(10, 0, 15), delay));
        Assert.Equal(new NextDue(T(10, 1, 15), T(10, 0), 4), After(Hourly, MisfirePolicy.RunOnce, d, T(10, 0), 3, false, 3, T(10, 0, 35), delay));
        Assert.Equal(NextDue.Occurrence(T(11, 0)), After(Hourly, MisfirePolicy.RunOnce, d, T(10, 0), 4, false, 3, T(10, 1, 15), delay));
    }

    [Fact]
    public void Successful_retry_moves_to_the_next_occurrence()
    {
        var d = Claim(Hourly, MisfirePolicy.RunOnce, T(10, 0), T(10, 0, 15), 2, T(10, 0, 15));
        Assert.False(d.CatchUp);
        Assert.Equal(NextDue.Occurrence(T(11, 0)), After(Hourly, MisfirePolicy.RunOnce, d, T(10, 0), 2, true, 3, T(10, 0, 16)));
    }

    [Fact]
    public void Default_retry_delay_is_ten_seconds()
    {
        var d = Claim(Hourly, MisfirePolicy.RunOnce, T(10, 0), T(10, 0), 1, T(10, 0));
        Assert.Equal(new NextDue(T(10, 0, 15), T(10, 0), 2), After(Hourly, MisfirePolicy.RunOnce, d, T(10, 0), 1, false, 1, T(10, 0, 5)));
    }

    [Theory]
    [InlineData(MisfirePolicy.RunOnce)]
    [InlineData(MisfirePolicy.Skip)]
    public void Retry_that_would_reach_the_next_occurrence_is_dropped_for_that_occurrence(MisfirePolicy policy)
    {
        var d = Claim(EveryMinute, policy, T(10, 0), T(10, 0), 1, T(10, 0));
        // 10:00:50 + 10 s = 10:01:00: not before the next occurrence.
        Assert.Equal(NextDue.Occurrence(T(10, 1)), After(EveryMinute, policy, d, T(10, 0), 1, false, 5, T(10, 0, 50)));
        Assert.Equal(new NextDue(T(10, 0, 59, 999), T(10, 0), 2),
            After(EveryMinute, policy, d, T(10, 0), 1, false, 5, T(10, 0, 49, 999)));
    }

    [Fact]
    public void Failed_catch_up_retries_and_its_retry_keeps_collapsing_the_missed_occurrences()
    {
        var d = Claim(Hourly, MisfirePolicy.RunOnce, T(7, 0), T(7, 0), 1, T(10, 0, 30));
        var retry = After(Hourly, MisfirePolicy.RunOnce, d, T(7, 0), 1, false, 2, T(10, 0, 30));
        Assert.Equal(new NextDue(T(10, 0, 40), T(7, 0), 2), retry);

        var retryClaim = Claim(Hourly, MisfirePolicy.RunOnce, T(7, 0), T(10, 0, 40), 2, T(10, 0, 41));
        Assert.Equal(new ClaimDecision(Run: true, CatchUp: true, Misfired: false), retryClaim);
        Assert.Equal(NextDue.Occurrence(T(11, 0)), After(Hourly, MisfirePolicy.RunOnce, retryClaim, T(7, 0), 2, true, 2, T(10, 0, 42)));
    }

    [Fact]
    public void Failed_long_overrun_under_skip_neither_retries_nor_replays_missed_slots()
    {
        var d = Claim(EveryMinute, MisfirePolicy.Skip, T(10, 0), T(10, 0), 1, T(10, 0));
        Assert.Equal(NextDue.Occurrence(T(10, 6)), After(EveryMinute, MisfirePolicy.Skip, d, T(10, 0), 1, false, 3, T(10, 5, 30)));
    }

    [Theory]
    [InlineData(1, 10)]
    [InlineData(2, 20)]
    [InlineData(3, 40)]
    [InlineData(9, 2560)]
    [InlineData(10, 3600)]
    [InlineData(1000, 3600)]
    [InlineData(int.MaxValue, 3600)]
    public void Retry_delay_doubles_and_is_capped_at_an_hour(int attempt, int expectedSeconds) =>
        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), RunRules.RetryDelay(TimeSpan.FromSeconds(10), attempt));

    [Fact]
    public void Retry_delay_uses_the_default_for_missing_or_non_positive_values()
    {
        Assert.Equal(TimeSpan.FromSeconds(10), RunRules.RetryDelay(null, 1));
        Assert.Equal(TimeSpan.FromSeconds(10), RunRules.RetryDelay(TimeSpan.Zero, 1));
        Assert.Equal(TimeSpan.FromHours(1), RunRules.RetryDelay(TimeSpan.FromHours(5), 1));
    }
}
