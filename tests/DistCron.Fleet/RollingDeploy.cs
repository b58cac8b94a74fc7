using DistCron.TestNode;
using System.Globalization;

namespace DistCron.Fleet;

/// <summary>
/// One rolling deploy of the chaos run: every slot in turn is stopped gracefully (SIGTERM) and restarted with the next
/// release, as a deployment tool would, never taking down the last node that runs jobs. The release is the
/// nodes' deployment version, so an old-release node restarted meanwhile (after a kill) never reverts the definition;
/// and it alternates the every-second jobs' schedule (odd releases every second, even ones every 2 s: see the test
/// node's EverySecondJobs), so the first new node's seed changes their definition while old nodes still run them.
/// Records a <see cref="DefinitionSwitch"/>: the database time just before the last read that still showed the old
/// schedule (the seed committed after it), the database time just after the first read that showed the new one on
/// every changed row (the seed committed before it), and each row's fence in that read.
/// </summary>
public sealed class RollingDeploy
{
    // Must match the test node's EverySecondJobs (not referenced: the node is a separate program).
    private const string ChangedJobPrefix = "every-second-";

    private static readonly TimeSpan SwitchTimeout = TimeSpan.FromSeconds(120);
    private readonly Fleet _fleet;
    private readonly DistCronClient _client;
    private readonly int _release;
    private readonly Action<string> _log;
    private int _next;
    private int _stoppingSlot;
    private Task<TestNodeProcess?>? _stopping;

    /// <summary>Begins the rollout of <paramref name="release"/>: no process of it exists yet.</summary>
    public RollingDeploy(Fleet fleet, DistCronClient client, int release, Action<string> log, CancellationToken cancellationToken)
    {
        _fleet = fleet;
        _client = client;
        _release = release;
        _log = log;
        log($"rolling deploy of release {release} ({ScheduleOf(release)}) begins");
        Switch = WatchSwitchAsync(DateTimeOffset.UtcNow, cancellationToken);
    }

    /// <summary>Completes once the switch was seen on the rows (and recorded) or reported as a problem.</summary>
    public Task Switch { get; }

    /// <summary>Every slot runs (or will restart with) the new release and the switch was recorded.</summary>
    public bool Done => _next >= _fleet.Count && _stopping is null && Switch.IsCompleted;

    /// <summary>
    /// The switch was recorded and no node is being stopped or started by this rollout: a newer release may take over
    /// the remaining slots (a release rolled out while the previous rollout is still under way).
    /// </summary>
    public bool Supersedable => Switch.IsCompleted && _stopping is null;

    public static string ScheduleOf(int release) => Releases.ScheduleOf(release);


    /// <summary>
    /// Advances the rollout by at most one action. Called only from the chaos loop, which also decides kills and freezes,
    /// so that the healthy node this checks for is still there when the stop begins: a node is stopped only when it runs
    /// jobs and another node that runs jobs remains. New nodes are not waited for otherwise: on a loaded machine a start
    /// takes 5-15 s, and waiting for each would stretch one rollout over the whole window.
    /// </summary>
    public void Step()
    {
        if (_stopping is { } stopping)
        {
            if (!stopping.IsCompleted) return;
            _stopping = null;
            var stopped = stopping.Result;
            var started = _fleet[_stoppingSlot] is null ? _fleet.StartSlot(_stoppingSlot) : null;
            _log($"deploy: {stopped?.NodeId} stopped, {started?.NodeId ?? "(slot refilled)"} of release {_release} started");
            _next++;
            return;
        }

        if (_next >= _fleet.Count) return;
        _fleet.SetRelease(_next, _release); // a dead slot's pending restart starts the new release
        var node = _fleet[_next];
        if (node is null || node.HasExited)
        {
            _next++;
            return;
        }

        if (!node.IsHealthy) return; // never SIGTERM a frozen or starting node
        var othersHealthy = Enumerable.Range(0, _fleet.Count).Count(s => s != _next && _fleet[s] is { IsHealthy: true });
        if (othersHealthy == 0) return;
        _stoppingSlot = _next;
        _stopping = _fleet.StopSlotAsync(_next); // empties the slot before its first await
    }

    private async Task WatchSwitchAsync(DateTimeOffset from, CancellationToken cancellationToken)
    {
        var (client, fleet, release, log) = (_client, _fleet, _release, _log);
        var schedule = ScheduleOf(release);
        var deadline = DateTimeOffset.UtcNow + SwitchTimeout;
        while (DateTimeOffset.UtcNow < deadline)
        {
            try
            {
                var before = await client.GetDatabaseTimeAsync(cancellationToken);
                // One statement, one snapshot: schedules and fences read together.
                var changed = (await client.ListJobsAsync(cancellationToken)).Where(j => j.Name.StartsWith(ChangedJobPrefix, StringComparison.Ordinal)).ToList();
                if (changed.Count > 0 && changed.All(j => j.Schedule == schedule))
                {
                    var seenAt = await client.GetDatabaseTimeAsync(cancellationToken);
                    fleet.Events.Switched(new DefinitionSwitch(release, Releases.PeriodSecondsOf(release), Releases.OffsetSecondsOf(release), from, seenAt,
                        changed.ToDictionary(j => j.Name, j => j.Fence, StringComparer.Ordinal)));
                    log(string.Create(CultureInfo.InvariantCulture, $"deploy: release {release}'s definition seen on every row; its seed committed in a {(seenAt - from).TotalSeconds:0.000} s interval"));
                    return;
                }

                // This snapshot was taken after 'before' and did not show the seed: it committed later.
                if (changed.All(j => j.Schedule != schedule) && before > from) from = before;
            }
            catch (Exception ex) when (ex is not OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // The database may be down (planned outage): keep looking.
            }

            await Task.Delay(50, cancellationToken);
        }

        fleet.Events.Problem($"release {release}'s definition never reached the job rows within {SwitchTimeout.TotalSeconds} s of its rollout");
    }
}
