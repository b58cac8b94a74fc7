using DistCron.Storage;

namespace DistCron.Dashboard.Live;

/// <summary>What the process's <see cref="ChangeFeed"/> reads and waits on: a store watched by polling, or PostgreSQL's LISTEN.</summary>
internal abstract class ChangeSource
{
    /// <summary>A value that changes when what the pages show changes.</summary>
    public abstract Task<long> ReadAsync();

    /// <summary>Waits <paramref name="interval"/>, or less when the store signals a change (then true).</summary>
    public abstract Task<bool> WaitAsync(TimeSpan interval);

    /// <summary>True when the store's own signals wake the feed (PostgreSQL), false when it is only polled.</summary>
    public abstract bool UsesStoreSignals { get; }

    public static ChangeSource For(IDistCronClient client, TimeSpan liveWindow) =>
        client is DistCronClient { ChangeWatch: { } watch }
            ? new StoreSignalSource(watch, client.App, liveWindow)
            : new PollingSource(client, liveWindow);
}

/// <summary>
/// PostgreSQL: the store's LISTEN connection (the one the node loop already holds in an app that runs nodes) wakes the
/// feed at once for what the store NOTIFYs (pause, resume, trigger, seed, release, errored mark); one statement of
/// aggregates per interval covers what it does not (claims, completions, leases running out, nodes).
/// </summary>
internal sealed class StoreSignalSource(IStoreChangeWatch watch, string app, TimeSpan liveWindow) : ChangeSource
{
    private Task? _next;

    public override bool UsesStoreSignals => true;

    public override Task<long> ReadAsync()
    {
        // Observed before the read, so a NOTIFY sent while it runs is not missed.
        _next ??= watch.NextSignalAsync(app);
        return watch.ReadChangeTokenAsync(app, liveWindow, CancellationToken.None);
    }

    public override async Task<bool> WaitAsync(TimeSpan interval)
    {
        var next = _next ??= watch.NextSignalAsync(app);
        using var timer = new CancellationTokenSource();
        var delay = Task.Delay(interval, timer.Token);
        if (await Task.WhenAny(next, delay).ConfigureAwait(false) != next) return false;
        await timer.CancelAsync().ConfigureAwait(false);
        _next = watch.NextSignalAsync(app);
        return true;
    }
}

/// <summary>
/// Any other store (SQLite, a custom client): a fingerprint of what the pages show (the jobs' schedule and run state, the
/// newest run, the node list and each node's liveness), read every interval. A lease renewal or a heartbeat alone is not
/// a change.
/// </summary>
internal sealed class PollingSource(IDistCronClient client, TimeSpan liveWindow) : ChangeSource
{
    public override bool UsesStoreSignals => false;

    public override async Task<bool> WaitAsync(TimeSpan interval)
    {
        await Task.Delay(interval).ConfigureAwait(false);
        return false;
    }

    public override async Task<long> ReadAsync()
    {
        var now = await client.GetDatabaseTimeAsync().ConfigureAwait(false);
        var jobs = await client.ListJobsAsync().ConfigureAwait(false);
        var newest = await client.GetHistoryAsync(null, new HistoryQuery(1)).ConfigureAwait(false);
        var nodes = await client.ListNodesAsync().ConfigureAwait(false);
        var hash = new HashCode();
        foreach (var job in jobs)
        {
            hash.Add(job.Name);
            hash.Add(job.Schedule);
            hash.Add(job.TimeZone);
            hash.Add(job.DefinitionHash);
            hash.Add(job.NextDueAt);
            hash.Add(job.OccurrenceAt);
            hash.Add(job.Attempt);
            hash.Add(job.OwnerNode);
            hash.Add(job.Fence);
            hash.Add(job.Paused);
            hash.Add(job.Orphaned);
            hash.Add(job.Error);
            hash.Add(job.LastStatus);
            hash.Add(job.LastFinishedAt);
            hash.Add(job.TriggerRequestedAt);
            hash.Add(job.ScheduleRevision);
            hash.Add(JobFacts.IsRunning(job, now));
        }

        hash.Add(newest.Count == 0 ? 0 : newest[0].Id);
        foreach (var node in nodes)
        {
            hash.Add(node.NodeId);
            hash.Add(node.StartedAt);
            hash.Add(node.JobNames.Count);
            hash.Add(Pages.NodesPage.IsLive(node, now, liveWindow));
        }

        return ((long)jobs.Count << 32) ^ (uint)hash.ToHashCode();
    }
}
