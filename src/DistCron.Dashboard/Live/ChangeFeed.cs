using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;

namespace DistCron.Dashboard.Live;

/// <summary>
/// "The store changed", for every open page of the process: one poller per client, running only while at least one
/// event stream is open, reads a fingerprint of what the pages show (the jobs' schedule and run state, the newest run,
/// the node list and each node's liveness) and bumps a version when it differs. Polling on PostgreSQL too: the store
/// sends no NOTIFY for a completion (on purpose: it would wake the whole fleet per run), so a NOTIFY-fed feed would
/// miss the change pages care about most.
/// </summary>
internal sealed partial class ChangeFeed
{
    private static readonly ConditionalWeakTable<IDistCronClient, ChangeFeed> Feeds = new();

    private readonly IDistCronClient _client;
    private readonly TimeSpan _interval;
    private readonly TimeSpan _liveWindow;
    private readonly ILogger _logger;
    private readonly object _gate = new();
    private TaskCompletionSource _changed = NewSource();
    private int _subscribers;
    private bool _polling;
    private long _version;

    private ChangeFeed(IDistCronClient client, TimeSpan interval, TimeSpan liveWindow, ILogger logger)
    {
        _client = client;
        _interval = interval;
        _liveWindow = liveWindow;
        _logger = logger;
    }

    /// <summary>The process's feed for <paramref name="client"/>: the first mapping's settings make it.</summary>
    public static ChangeFeed For(IDistCronClient client, TimeSpan interval, TimeSpan liveWindow, ILogger logger) =>
        Feeds.GetValue(client, c => new ChangeFeed(c, interval, liveWindow, logger));

    /// <summary>How many times a change was seen since the process started.</summary>
    public long Version => Interlocked.Read(ref _version);

    /// <summary>True while the poller runs (some stream is open).</summary>
    public bool IsPolling
    {
        get
        {
            lock (_gate) return _polling;
        }
    }

    /// <summary>Registers an open stream; the poller runs until the last one is disposed.</summary>
    public IDisposable Subscribe()
    {
        lock (_gate)
        {
            _subscribers++;
            if (!_polling)
            {
                _polling = true;
                _ = Task.Run(PollAsync);
            }
        }

        return new Subscription(this);
    }

    /// <summary>Completes when the version moves past <paramref name="seen"/> (at once if it already has).</summary>
    public Task WhenChangedAsync(long seen)
    {
        lock (_gate)
        {
            return Version != seen ? Task.CompletedTask : _changed.Task;
        }
    }

    private void Unsubscribe()
    {
        lock (_gate) _subscribers--;
    }

    private async Task PollAsync()
    {
        long? last = null;
        while (true)
        {
            lock (_gate)
            {
                if (_subscribers == 0)
                {
                    _polling = false;
                    return;
                }
            }

            try
            {
                var fingerprint = await FingerprintAsync().ConfigureAwait(false);
                if (last is { } previous && previous != fingerprint) Publish();
                last = fingerprint;
            }
            catch (Exception e)
            {
                // A store outage: pages keep what they show and the next poll tries again.
                LogPollFailed(_logger, e);
            }

            await Task.Delay(_interval).ConfigureAwait(false);
        }
    }

    private void Publish()
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            Interlocked.Increment(ref _version);
            changed = _changed;
            _changed = NewSource();
        }

        changed.TrySetResult();
    }

    // What the pages show, hashed: a lease renewal (LeaseUntil) or a heartbeat alone is not a change.
    private async Task<long> FingerprintAsync()
    {
        var now = await _client.GetDatabaseTimeAsync().ConfigureAwait(false);
        var jobs = await _client.ListJobsAsync().ConfigureAwait(false);
        var newest = await _client.GetHistoryAsync(null, new HistoryQuery(1)).ConfigureAwait(false);
        var nodes = await _client.ListNodesAsync().ConfigureAwait(false);
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
            hash.Add(Pages.NodesPage.IsLive(node, now, _liveWindow));
        }

        return ((long)jobs.Count << 32) ^ (uint)hash.ToHashCode();
    }

    private static TaskCompletionSource NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Event ids 5001-5099: the dashboard.
    [LoggerMessage(EventId = 5001, Level = LogLevel.Warning, Message = "The DistCron dashboard could not read the store for its change feed; it tries again at the next poll.")]
    private static partial void LogPollFailed(ILogger logger, Exception exception);

    private sealed class Subscription(ChangeFeed feed) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) feed.Unsubscribe();
        }
    }
}
