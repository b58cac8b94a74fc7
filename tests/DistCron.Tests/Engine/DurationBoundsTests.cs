using DistCron.Hosting;
using DistCron.Internal;

namespace DistCron.Tests.Engine;

/// <summary>
/// Every duration is bounded where it is validated, by the rule and words the analyzer's DCRON0005 uses
/// (<see cref="JobOptionText"/>): the largest legal value passes and one tick more fails. A LeaseDuration of 50 days
/// passed before and made every loop round throw (a CancellationTokenSource of the lease), logged forever as an outage.
/// </summary>
public class DurationBoundsTests
{
    private const string Rule = "must be greater than zero and at most 24.00:00:00 (24 days: longer waits overflow .NET timers)";
    private static readonly TimeSpan Max = TimeSpan.FromDays(24);
    private static readonly TimeSpan OneTickMore = Max + TimeSpan.FromTicks(1);

    public static TheoryData<string> Settings => new()
    {
        nameof(DistCronOptions.PollInterval),
        nameof(DistCronOptions.LeaseDuration),
        nameof(DistCronOptions.HeartbeatInterval),
        nameof(DistCronOptions.ShutdownTimeout),
        nameof(DistCronOptions.MisfireThreshold),
        "HistoryRetention.Interval",
    };

    [Fact]
    public void The_shared_rule_is_24_days()
    {
        Assert.Equal(Max, JobOptionText.MaxDuration);
        Assert.True(JobOptionText.DurationInRange(Max, allowZero: false));
        Assert.False(JobOptionText.DurationInRange(OneTickMore, allowZero: false));
        Assert.False(JobOptionText.DurationInRange(TimeSpan.Zero, allowZero: false));
        Assert.True(JobOptionText.DurationInRange(TimeSpan.Zero, allowZero: true));
        Assert.False(JobOptionText.DurationInRange(TimeSpan.FromTicks(-1), allowZero: true));
        // The bound leaves room for what the engine adds to it before it reaches a timer.
        using var doubled = new CancellationTokenSource(Max * 2, TimeProvider.System);
        using var plusGrace = new CancellationTokenSource(Max + TimeSpan.FromSeconds(5), TimeProvider.System);
    }

    [Theory]
    [MemberData(nameof(Settings))]
    public void The_largest_legal_value_passes_and_one_tick_more_fails(string setting)
    {
        Assert.DoesNotContain(Rule, Errors(Set(setting, Max)));
        var error = Assert.Single(Errors(Set(setting, OneTickMore)), e => e.Contains(Rule, StringComparison.Ordinal));
        Assert.Equal($"DistCron {setting} ({OneTickMore}) {Rule}.", error);
    }

    [Fact]
    public void A_definitions_timeout_and_retry_delay_are_held_to_the_analyzers_bound_in_its_words()
    {
        Assert.Empty(Errors(new DistCronOptions().AddJobs([Definition(Max, Max)])));
        var errors = Errors(new DistCronOptions().AddJobs([Definition(OneTickMore, OneTickMore)]));
        Assert.Contains(errors, e => e.Contains($"Timeout ({OneTickMore}) {Rule}; use null for no time limit", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains(
            $"RetryDelay ({OneTickMore}) must be zero or more and at most 24.00:00:00 (24 days: longer waits overflow .NET timers); use null for the default", StringComparison.Ordinal));
    }

    [Fact]
    public void History_max_age_is_no_timer_but_stays_a_date_every_store_can_hold()
    {
        var options = new DistCronOptions().AddJobs([Definition(null, null)]);
        options.HistoryRetention.MaxAge = TimeSpan.FromDays(36_500);
        Assert.Empty(Errors(options));
        options.HistoryRetention.MaxAge = TimeSpan.FromDays(36_500) + TimeSpan.FromTicks(1);
        Assert.Equal(
            $"DistCron HistoryRetention.MaxAge ({options.HistoryRetention.MaxAge}) must be positive and at most 36500 days, or null to keep runs regardless of age.",
            Assert.Single(Errors(options)));
    }

    [Theory]
    [InlineData("Europe")]
    [InlineData("America")]
    [InlineData("Etc")]
    [InlineData("US")]
    public void A_zone_id_naming_a_directory_is_a_validation_message_not_an_exception(string zone)
    {
        var errors = Errors(new DistCronOptions().AddJobs([Definition(null, null, zone)]));
        Assert.Contains(errors, e => e.Contains($"time zone \"{zone}\" is not a known IANA or Windows time zone id", StringComparison.Ordinal));
    }

    private static DistCronOptions Set(string setting, TimeSpan value)
    {
        // The others stay legal together: the heartbeat under half the lease.
        var options = new DistCronOptions { LeaseDuration = Max, HeartbeatInterval = TimeSpan.FromSeconds(10) }.AddJobs([Definition(null, null)]);
        switch (setting)
        {
            case nameof(DistCronOptions.PollInterval): options.PollInterval = value; break;
            case nameof(DistCronOptions.LeaseDuration): options.LeaseDuration = value; break;
            case nameof(DistCronOptions.HeartbeatInterval): options.HeartbeatInterval = value; break;
            case nameof(DistCronOptions.ShutdownTimeout): options.ShutdownTimeout = value; break;
            case nameof(DistCronOptions.MisfireThreshold): options.MisfireThreshold = value; break;
            case "HistoryRetention.Interval": options.HistoryRetention.Interval = value; break;
            default: throw new ArgumentOutOfRangeException(nameof(setting), setting, null);
        }

        return options;
    }

    private static IReadOnlyList<string> Errors(DistCronOptions options)
    {
        var result = new DistCronOptionsValidator().Validate(null, options);
        return result.Failed ? result.Failures!.ToList() : [];
    }

    private static JobDefinition Definition(TimeSpan? timeout, TimeSpan? retryDelay, string zone = "UTC") =>
        new("bounded", "0 * * * *", CronFormat.Standard, zone, MisfirePolicy.RunOnce, timeout, retryDelay, 0, "hash",
            "DistCron.Tests.Engine.Jobs", "bounded", (_, _, _) => ValueTask.CompletedTask);
}
