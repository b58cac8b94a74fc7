using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;

namespace DistCron.Dashboard.Live;

/// <summary>
/// "The store changed", for every open page of the process: one watcher per client, running only while at least one
/// event stream is open, bumps a version when its <see cref="ChangeSource"/> sees a change. On PostgreSQL the store's
/// LISTEN connection wakes it and one small statement per interval covers what the store sends no NOTIFY for (a
/// completion above all: notifying per run would wake the whole fleet); on SQLite it polls a fingerprint of the pages.
/// Either way fifty open pages cost what one costs.
/// </summary>
internal sealed partial class ChangeFeed
{
    private static readonly ConditionalWeakTable<IDistCronClient, ChangeFeed> Feeds = new();

    private readonly ChangeSource _source;
    private readonly TimeSpan _interval;
    private readonly ILogger _logger;
    private readonly object _gate = new();
    private TaskCompletionSource _changed = NewSource();
    private int _subscribers;
    private bool _polling;
    private long _version;

    private ChangeFeed(ChangeSource source, TimeSpan interval, ILogger logger)
    {
        _source = source;
        _interval = interval;
        _logger = logger;
    }

    /// <summary>The process's feed for <paramref name="client"/>: the first mapping's settings make it.</summary>
    public static ChangeFeed For(IDistCronClient client, TimeSpan interval, TimeSpan liveWindow, ILogger logger) =>
        Feeds.GetValue(client, c => new ChangeFeed(ChangeSource.For(c, liveWindow), interval, logger));

    /// <summary>True when the store's signals wake the feed (PostgreSQL's LISTEN), false when it only polls.</summary>
    public bool UsesStoreSignals => _source.UsesStoreSignals;

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
                var fingerprint = await _source.ReadAsync().ConfigureAwait(false);
                if (last is { } previous && previous != fingerprint) Publish();
                last = fingerprint;
            }
            catch (Exception e)
            {
                // A store outage: pages keep what they show and the next poll tries again.
                LogPollFailed(_logger, e);
            }

            try
            {
                if (await _source.WaitAsync(_interval).ConfigureAwait(false)) Publish();
            }
            catch (ObjectDisposedException)
            {
                // The client (and its LISTEN connection) was disposed: the app is stopping.
                lock (_gate) _polling = false;
                return;
            }
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
