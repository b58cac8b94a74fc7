using DistCron.Engine;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace DistCron.Storage.Postgres;

/// <summary>
/// LISTENs on one dedicated connection and turns notifications (payload = app) into wake-ups for
/// <see cref="PostgresJobStore.WaitForSignalAsync"/>. When LISTEN is unavailable (server down, PgBouncer in
/// transaction mode, no permission) waiters simply time out, so the scheduler degrades to polling; the
/// connection is retried in the background with backoff and never makes a caller throw.
/// </summary>
internal sealed partial class PostgresSignalListener : IAsyncDisposable
{
    // An idle LISTEN connection is pinged this often, so a half-open TCP connection is noticed and replaced. Rarely: a
    // dead LISTEN connection only costs wake-ups (nodes still wake at every known due time, every lease end and every
    // poll), while each ping is a statement an idle node would otherwise not send, a large share of an idle node's few.
    // A connection the server closes fails at once, ping or not.
    private static readonly TimeSpan KeepAliveInterval = TimeSpan.FromMinutes(5);
    // Reconnecting is what tells the node loop the database is back (SignalAll ends its backoff), so it is retried as
    // often as the loop's own store attempts: a long wait here would keep a recovered fleet idle.
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(5);

    private readonly NpgsqlDataSource _dataSource;
    private readonly string _channel;
    private readonly ILogger _logger;
    private readonly object _gate = new();
    private readonly Dictionary<string, WakeSignal> _apps = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;
    private bool _disposed;

    public PostgresSignalListener(NpgsqlDataSource dataSource, string channel, ILogger logger)
    {
        _dataSource = dataSource;
        _channel = channel;
        _logger = logger;
    }

    /// <summary>True while the LISTEN connection is up (for tests and health reporting).</summary>
    public bool IsListening { get; private set; }

    // A notification that arrived while nobody was waiting is not lost: it is pending for the next wait.
    public Task<bool> WaitAsync(string app, TimeSpan timeout, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        WakeSignal signal;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _loop ??= Task.Run(() => ListenLoopAsync(_stop.Token));
            signal = AppSignal(app);
        }

        return signal.WaitAsync(timeout, consumePending: true, cancellationToken);
    }

    // For watchers outside the engine (the dashboard): the app's signal task, which the next Set completes. Reading it
    // leaves the pending flag alone, so the node loop's next WaitAsync still sees a notification that arrived meanwhile.
    public Task NextSignal(string app)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _loop ??= Task.Run(() => ListenLoopAsync(_stop.Token));
            return AppSignal(app).WaitTask;
        }
    }

    // Under _gate.
    private WakeSignal AppSignal(string app)
    {
        if (!_apps.TryGetValue(app, out var signal)) _apps[app] = signal = new WakeSignal();
        return signal;
    }

    private void Signal(string app)
    {
        lock (_gate)
        {
            AppSignal(app).Set();
        }
    }

    // After a (re)connect, notifications sent while we were not listening are lost: wake everyone once.
    private void SignalAll()
    {
        lock (_gate)
        {
            foreach (var signal in _apps.Values) signal.Set();
        }
    }

    private async Task ListenLoopAsync(CancellationToken stop)
    {
        var retryDelay = TimeSpan.FromSeconds(1);
        var failures = 0;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var connection = await _dataSource.OpenConnectionAsync(stop).ConfigureAwait(false);
                await using (connection.ConfigureAwait(false))
                {
                    connection.Notification += OnNotification;
                    // The channel is built from a validated schema name (SqlNames.NotifyChannel): [a-z0-9_] only, at most 63
                    // bytes, so it is safe to splice and LISTEN does not truncate it. LISTEN takes no parameters.
                    await using (var listen = new NpgsqlCommand($"LISTEN {_channel}", connection))
                    {
                        await listen.ExecuteNonQueryAsync(stop).ConfigureAwait(false);
                    }

                    SignalAll();
                    IsListening = true;
                    if (failures > 0) LogListenerRestored(_logger, _channel);
                    failures = 0;
                    retryDelay = TimeSpan.FromSeconds(1);

                    try
                    {
                        while (!stop.IsCancellationRequested)
                        {
                            if (!await connection.WaitAsync(KeepAliveInterval, stop).ConfigureAwait(false))
                            {
                                await using var ping = new NpgsqlCommand("SELECT 1", connection);
                                await ping.ExecuteScalarAsync(stop).ConfigureAwait(false);
                            }
                        }
                    }
                    finally
                    {
                        connection.Notification -= OnNotification;
                        await UnlistenAsync(connection).ConfigureAwait(false);
                    }
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                // Whatever broke the connection, the loop must survive it: waiters fall back to their timeouts.
                IsListening = false;
                // Npgsql's messages never include the password; the connection string is never logged here.
                if (failures++ == 0) LogListenerFailed(_logger, _channel, retryDelay.TotalSeconds, e.GetType().Name, e.Message);
                else LogListenerStillFailing(_logger, _channel, failures, e.GetType().Name, e.Message);
                try
                {
                    await Task.Delay(retryDelay, stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                retryDelay = TimeSpan.FromTicks(Math.Min(retryDelay.Ticks * 2, MaxRetryDelay.Ticks));
            }
        }

        IsListening = false;
    }

    // The connection goes back to the caller's pool. Still subscribed, it would receive every notification while
    // idle and nobody reads them; once its socket buffer fills, the server's shared NOTIFY queue cannot advance.
    private static async Task UnlistenAsync(NpgsqlConnection connection)
    {
        if (connection.FullState != System.Data.ConnectionState.Open) return; // broken: the pool discards it
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await using var unlisten = new NpgsqlCommand("UNLISTEN *", connection);
            await unlisten.ExecuteNonQueryAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException or InvalidOperationException or IOException)
        {
            // Best effort: a connection that cannot run UNLISTEN is broken, and Npgsql will not reuse it.
        }
    }

    private void OnNotification(object sender, NpgsqlNotificationEventArgs e)
    {
        if (e.Channel == _channel) Signal(e.Payload);
    }

    public async ValueTask DisposeAsync()
    {
        Task? loop;
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            loop = _loop;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        if (loop is not null)
        {
            try { await loop.ConfigureAwait(false); }
            catch (OperationCanceledException) { }
        }

        _stop.Dispose();
    }

    [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "DistCron could not LISTEN on PostgreSQL channel {Channel}; polling without wake-ups, retrying in {RetrySeconds} s. {ErrorType}: {ErrorMessage}")]
    private static partial void LogListenerFailed(ILogger logger, string channel, double retrySeconds, string errorType, string errorMessage);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Debug, Message = "DistCron LISTEN on {Channel} still failing (attempt {Attempt}). {ErrorType}: {ErrorMessage}")]
    private static partial void LogListenerStillFailing(ILogger logger, string channel, int attempt, string errorType, string errorMessage);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Information, Message = "DistCron LISTEN on {Channel} restored.")]
    private static partial void LogListenerRestored(ILogger logger, string channel);
}
