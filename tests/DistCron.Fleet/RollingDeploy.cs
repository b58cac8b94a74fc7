using System.Globalization;

namespace DistCron.Fleet;

/// <summary>
/// One rolling deploy of the chaos run: every slot in turn is stopped gracefully (SIGTERM) and restarted with the next
/// release, waiting for the new node to be ready before the next slot, as a deployment tool would. The release is the
/// nodes' deployment version, so an old-release node restarted meanwhile (after a kill) never reverts the definition;
/// and it alternates the every-second jobs' schedule (odd releases every second, even ones every 2 s: see the test
/// node's EverySecondJobs), so the first new node's seed changes their definition while old nodes still run them.
/// Records a <see cref="DefinitionSwitch"/>: the database time just before the last read that still showed the old
/// schedule (the seed committed after it), the database time just after the first read that showed the new one on
/// every changed row (the seed committed before it), and each row's fence in that read.
/// </summary>
public sealed class RollingDeploy(Fleet fleet, DistCronClient client, int release, Action<string> log)
{
    // Must match the test node's EverySecondJobs (not referenced: the node is a separate program).
    private const string ChangedJobPrefix = "every-second-";

    private static readonly TimeSpan SwitchTimeout = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan ReadyWait = TimeSpan.FromSeconds(5);

    public static string ScheduleOf(int release) => release % 2 == 1 ? "* * * * * *" : "*/2 * * * * *";

    public static int PeriodSecondsOf(int release) => release % 2 == 1 ? 1 : 2;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        // Before the first slot gets the new release: no process of it (a deploy's or a kill's restart) exists yet.
        var from = DateTimeOffset.UtcNow;
        log($"rolling deploy of release {release} ({ScheduleOf(release)}) begins");
        var watch = WatchSwitchAsync(from, cancellationToken);
        for (var slot = 0; slot < fleet.Count; slot++)
        {
            fleet.SetRelease(slot, release);
            TestNodeProcess? started = null;
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (fleet[slot] is null) break; // dead: its pending restart starts the new release
                var stopped = await fleet.StopSlotAsync(slot);
                if (stopped is null)
                {
                    await Task.Delay(250, cancellationToken); // frozen (or just killed): wait for the thaw
                    continue;
                }

                if (fleet[slot] is null) started = fleet.StartSlot(slot);
                log($"deploy: {stopped.NodeId} stopped, {started?.NodeId ?? "(slot refilled)"} of release {release} started");
                break;
            }

            if (started is not null)
            {
                try
                {
                    // A deployment tool waits for the new node's readiness, within limits: a slow start on a loaded
                    // machine must not stretch one rollout over the whole window.
                    await started.Ready.WaitAsync(ReadyWait, cancellationToken);
                }
                catch (Exception ex) when (ex is TimeoutException or InvalidOperationException)
                {
                    // Killed meanwhile (the chaos loop restarts it with the new release) or slow: the rollout goes on.
                }
            }
        }

        await watch;
        log($"rolling deploy of release {release} done");
    }

    private async Task WatchSwitchAsync(DateTimeOffset from, CancellationToken cancellationToken)
    {
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
                    fleet.Events.Switched(new DefinitionSwitch(release, PeriodSecondsOf(release), from, seenAt,
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
