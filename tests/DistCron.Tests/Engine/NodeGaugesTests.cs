using DistCron.Diagnostics;
using DistCron.Engine;
using Microsoft.Extensions.Time.Testing;

namespace DistCron.Tests.Engine;

/// <summary>The rules of the node's gauges, on a fake clock and real run slots.</summary>
public sealed class NodeGaugesTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(T0);
    private readonly RunSlots _slots;
    private readonly NodeGauges _gauges;

    public NodeGaugesTests()
    {
        _slots = new RunSlots(4, new ClaimPacer(4, TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(25), TimeSpan.FromMilliseconds(100), _time.TimestampFrequency), new WakeSignal());
        _gauges = new NodeGauges("node-1", _time, ["a", "b"], _slots);
    }

    private static double Unix(DateTimeOffset at) => at.ToUnixTimeMilliseconds() / 1000.0;

    private Dictionary<string, double> LastSuccess() => _gauges.LastSuccess().ToDictionary(m => (string)m.Tags[0].Value!, m => m.Value);

    [Fact]
    public void Nothing_is_reported_before_the_first_claim()
    {
        Assert.Empty(_gauges.LastSeen());
        Assert.Empty(_gauges.LastSuccess());
        Assert.Empty(_gauges.OldestRunAge());
    }

    [Fact]
    public void The_first_claim_starts_every_job_s_watch_and_later_ones_do_not_move_it()
    {
        Assert.True(_gauges.Claimed(T0));
        Assert.False(_gauges.Claimed(T0.AddMinutes(1)));

        Assert.Equal(new Dictionary<string, double> { ["a"] = Unix(T0), ["b"] = Unix(T0) }, LastSuccess());
        var seen = Assert.Single(_gauges.LastSeen());
        Assert.Equal(Unix(T0.AddMinutes(1)), seen.Value);
        Assert.Equal(new KeyValuePair<string, object?>("distcron.node.id", "node-1"), seen.Tags[0]);
    }

    [Fact]
    public void A_success_moves_its_job_forward_only()
    {
        _gauges.Claimed(T0);
        _gauges.Succeeded("a", T0.AddMinutes(5));
        _gauges.Succeeded("a", T0.AddMinutes(3)); // an older completion handed back late
        Assert.Equal(Unix(T0.AddMinutes(5)), LastSuccess()["a"]);
        Assert.Equal(Unix(T0), LastSuccess()["b"]);
    }

    [Fact]
    public void Last_seen_never_moves_back()
    {
        _gauges.Claimed(T0.AddMinutes(2));
        _gauges.Seen(T0.AddMinutes(1)); // a registration whose clock reading came before the claim's
        Assert.Equal(Unix(T0.AddMinutes(2)), _gauges.LastSeen().Single().Value);
        _gauges.Seen(T0.AddMinutes(3));
        Assert.Equal(Unix(T0.AddMinutes(3)), _gauges.LastSeen().Single().Value);
    }

    [Fact]
    public void The_oldest_run_holding_a_slot_is_reported_with_its_job_and_age()
    {
        var first = _slots.Start("a", _time.GetTimestamp());
        _time.Advance(TimeSpan.FromSeconds(10));
        var second = _slots.Start("b", _time.GetTimestamp());
        _time.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal(2, _gauges.ActiveRuns().Single().Value);
        var oldest = _gauges.OldestRunAge().Single();
        Assert.Equal(15, oldest.Value);
        Assert.Contains(new KeyValuePair<string, object?>("distcron.job.name", "a"), oldest.Tags.ToArray());

        first.MethodReturned(); // its completion may still be pending: it no longer holds a slot
        Assert.Equal(1, _gauges.ActiveRuns().Single().Value);
        Assert.Equal(5, _gauges.OldestRunAge().Single().Value);

        second.End();
        first.End();
        Assert.Equal(0, _gauges.ActiveRuns().Single().Value);
        Assert.Empty(_gauges.OldestRunAge());
    }
}
