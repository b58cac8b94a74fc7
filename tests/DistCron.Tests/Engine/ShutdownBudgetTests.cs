using DistCron.Engine;
using Microsoft.Extensions.Hosting;

namespace DistCron.Tests.Engine;

/// <summary>
/// The rule behind the shutdown defaults and the start-up warning (<see cref="ShutdownBudget"/>): pure, so the
/// defaults are proven to fit Kubernetes' 30 s grace period without a 30 s test.
/// </summary>
public sealed class ShutdownBudgetTests
{
    // Kubernetes' default terminationGracePeriodSeconds.
    private static readonly TimeSpan KubernetesGrace = TimeSpan.FromSeconds(30);

    private static TimeSpan S(double seconds) => TimeSpan.FromSeconds(seconds);

    [Fact]
    public void The_defaults_finish_inside_the_hosts_default_timeout_and_Kubernetes_grace_period_with_margin()
    {
        var options = new DistCronOptions();
        var host = new HostOptions().ShutdownTimeout;
        var needed = ShutdownBudget.Needed(options.ShutdownTimeout, options.LeaseDuration);

        Assert.Equal(KubernetesGrace, host); // the host's default is the grace period: the host's deadline is SIGKILL's
        Assert.False(ShutdownBudget.HostTooShort(host, options.ShutdownTimeout, options.LeaseDuration));
        // Margin for the application's other hosted services and a preStop hook, inside the same grace period.
        Assert.True(needed <= KubernetesGrace - S(5), $"a default stop takes up to {needed}");
    }

    [Fact]
    public void The_old_default_equal_to_the_hosts_timeout_did_not_fit()
    {
        Assert.True(ShutdownBudget.HostTooShort(S(30), S(30), S(30)));
    }

    [Theory]
    [InlineData(30, 5)]
    [InlineData(10, 5)]
    [InlineData(5, 5)]
    [InlineData(4, 4)]
    [InlineData(0.5, 0.5)]
    public void A_cancelled_job_is_waited_for_at_most_five_seconds_and_never_longer_than_the_lease(double lease, double grace)
    {
        Assert.Equal(S(grace), ShutdownBudget.AbandonGrace(S(lease)));
        Assert.Equal(S(grace + 1), ShutdownBudget.CancelWait(S(lease)));
    }

    [Theory]
    // shutdown timeout, lease, needed: the timeout, the abandon grace and a second, two seconds of final writes.
    [InlineData(15, 30, 23)]
    [InlineData(20, 30, 28)]
    [InlineData(30, 30, 38)]
    [InlineData(1, 2, 6)]
    [InlineData(0.3, 0.5, 3.8)]
    public void A_stop_needs_the_timeout_then_the_cancel_wait_then_the_final_writes(double shutdown, double lease, double needed)
    {
        Assert.Equal(S(needed), ShutdownBudget.Needed(S(shutdown), S(lease)));
    }

    [Theory]
    [InlineData(23, 15, 30, false)] // exactly enough
    [InlineData(22.999, 15, 30, true)]
    [InlineData(30, 20, 30, false)]
    [InlineData(25, 20, 30, true)]
    [InlineData(0, 15, 30, true)]
    public void The_host_is_too_short_when_it_stops_waiting_before_the_stop_can_end(double host, double shutdown, double lease, bool tooShort)
    {
        Assert.Equal(tooShort, ShutdownBudget.HostTooShort(S(host), S(shutdown), S(lease)));
    }

    [Fact]
    public void A_host_that_waits_forever_is_never_too_short()
    {
        Assert.False(ShutdownBudget.HostTooShort(Timeout.InfiniteTimeSpan, TimeSpan.FromDays(24), S(30)));
    }

    [Theory]
    [InlineData(30, 30, 22.0)]
    [InlineData(25, 30, 17.0)]
    [InlineData(9, 30, 1.0)]
    [InlineData(8.999, 30, null)] // less than a second would be left: no timeout fits, only a longer host timeout
    [InlineData(0, 30, null)]
    public void The_largest_timeout_that_fits_a_host_is_the_inverse_of_what_a_stop_needs(double host, double lease, double? largest)
    {
        var fits = ShutdownBudget.LargestShutdownTimeout(S(host), S(lease));
        Assert.Equal(largest is { } l ? S(l) : null, fits);
        if (fits is { } timeout) Assert.False(ShutdownBudget.HostTooShort(S(host), timeout, S(lease)));
    }
}
