using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using DistCron.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DistCron.Tests.Engine;

/// <summary>
/// What throws in the runner outside the job method (the application's logger, ActivityListener or MeterListener, a
/// definition that reached the runner unvalidated) must end in an errored claim with the lease keeper stopped, never in
/// a lease held on and a row claimed again every lease. The listeners are process-wide: each throws only for its own
/// test's uniquely named job, so tests running in parallel are unaffected.
/// </summary>
public abstract class RunnerFailureTests : EngineTestBase
{
    private readonly string _victim = "victim-" + Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public async Task A_logger_that_throws_when_the_run_starts_leaves_the_job_errored_not_leased()
    {
        var ran = 0;
        var victim = Job(_victim, "0 0 1 1 *", (_, _) => { Interlocked.Increment(ref ran); return Task.CompletedTask; });
        await PreSeedAsync(victim, now => now);
        await StartNodeAsync([victim, Healthy()], services: s => s.AddSingleton<ILoggerProvider>(
            new ThrowingLoggerProvider(eventId: 5, _victim, "the log sink is full")));

        var row = await ErroredAsync();
        // The logging infrastructure wraps a provider's exception (AggregateException); its message carries the cause.
        Assert.StartsWith("the run could not be handled: ", row.Error);
        Assert.Contains("the log sink is full", row.Error);
        Assert.Contains("the job method did not run", row.Error);
        Assert.Equal(0, Volatile.Read(ref ran));
        await HealthyKeepsRunningAsync();
    }

    [Fact]
    public async Task A_failure_after_the_method_started_but_before_its_completion_is_errored_and_the_body_does_not_run_again()
    {
        // Event 14 is "abandoned", logged between the method's timeout and the completion. An exception there left the
        // lease to expire with nothing written, and the body ran again every lease.
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var starts = 0;
        var victim = Job(_victim, "0 0 1 1 *", async (_, _) =>
        {
            Interlocked.Increment(ref starts);
            await release.Task; // ignores its token on purpose
        }, timeout: TimeSpan.FromMilliseconds(100));
        await PreSeedAsync(victim, now => now);
        await StartNodeAsync([victim, Healthy()], services: s => s.AddSingleton<ILoggerProvider>(
            new ThrowingLoggerProvider(eventId: 14, _victim, "the log sink is full")));

        try
        {
            var row = await ErroredAsync();
            Assert.Contains("the log sink is full", row.Error);
            Assert.Contains("the job method had been started", row.Error);
            Assert.Equal(1, Volatile.Read(ref starts));
            await HealthyKeepsRunningAsync();
            Assert.Equal(1, Volatile.Read(ref starts));
        }
        finally
        {
            release.TrySetResult();
        }
    }

    [Fact]
    public async Task A_logger_that_throws_after_the_method_ran_leaves_the_run_recorded_and_the_lease_released()
    {
        // Event 6 is "run succeeded", logged after the completion was written: the run is recorded, nothing is errored.
        var victim = Job(_victim, "0 0 1 1 *", (_, _) => Task.CompletedTask);
        await PreSeedAsync(victim, now => now);
        await StartNodeAsync([victim], services: s => s.AddSingleton<ILoggerProvider>(
            new ThrowingLoggerProvider(eventId: 6, _victim, "the log sink is full")));

        await WaitUntilAsync(async () => (await HistoryAsync(_victim)).Count == 1, "the run is recorded");
        var row = await RowAsync(_victim);
        Assert.Null(row.Error);
        Assert.Null(row.OwnerNode);
        Assert.Equal(RunStatus.Succeeded, Assert.Single(await HistoryAsync(_victim)).Status);
    }

    [Fact]
    public async Task An_activity_listener_that_throws_leaves_the_job_errored_not_leased()
    {
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "DistCron",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStarted = activity =>
            {
                if (activity.OperationName == "distcron.run " + _victim) throw new InvalidOperationException("the exporter is down");
            },
        };
        ActivitySource.AddActivityListener(listener);

        var victim = Job(_victim, "0 0 1 1 *", (_, _) => Task.CompletedTask);
        await PreSeedAsync(victim, now => now);
        await StartNodeAsync([victim, Healthy()]);

        var row = await ErroredAsync();
        Assert.Contains("System.InvalidOperationException: the exporter is down", row.Error);
        await HealthyKeepsRunningAsync();
    }

    [Fact]
    public async Task A_meter_listener_that_throws_leaves_the_job_errored_not_leased()
    {
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == "DistCron" && instrument.Name == "distcron.run.start_lag") l.EnableMeasurementEvents(instrument);
            },
        };
        var victimName = _victim;
        listener.SetMeasurementEventCallback<double>((_, _, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "distcron.job.name" && Equals(tag.Value, victimName)) throw new InvalidOperationException("the metrics buffer is full");
            }
        });
        listener.Start();

        var victim = Job(_victim, "0 0 1 1 *", (_, _) => Task.CompletedTask);
        await PreSeedAsync(victim, now => now);
        await StartNodeAsync([victim, Healthy()]);

        var row = await ErroredAsync();
        Assert.Contains("System.InvalidOperationException: the metrics buffer is full", row.Error);
        await HealthyKeepsRunningAsync();
    }

    [Fact]
    public async Task A_timeout_past_the_timer_limit_that_escaped_validation_is_errored_before_the_keeper_starts()
    {
        // 50 days: new CancellationTokenSource(50 days) threw after the lease keeper had started, and nothing stopped
        // the keeper: the node renewed the lease of a run that never started, blocking the job fleet-wide.
        var ran = 0;
        var victim = Job(_victim, "0 0 1 1 *", (_, _) => { Interlocked.Increment(ref ran); return Task.CompletedTask; }, timeout: TimeSpan.FromDays(50));
        await PreSeedAsync(victim, now => now);
        await StartNodeAsync([victim, Healthy()], services: s => s.RemoveAll<IValidateOptions<DistCronOptions>>());

        var row = await ErroredAsync();
        Assert.Equal(
            "the job's Timeout (50.00:00:00) must be greater than zero and at most 24.00:00:00 (24 days: longer waits overflow .NET timers)",
            row.Error);
        Assert.Equal(0, Volatile.Read(ref ran));
        await HealthyKeepsRunningAsync();
    }

    private static JobDefinition Healthy() => Job("healthy", "* * * * * *", (_, _) => Task.CompletedTask);

    private async Task<JobRow> ErroredAsync()
    {
        await WaitUntilAsync(async () => (await RowAsync(_victim)).Error is not null, "the job is marked errored");
        var row = await RowAsync(_victim);
        Assert.Null(row.OwnerNode);
        Assert.Null(row.LeaseUntil);
        Assert.Empty(await HistoryAsync(_victim));
        return row;
    }

    private async Task HealthyKeepsRunningAsync()
    {
        var before = (await HistoryAsync("healthy")).Count;
        await WaitUntilAsync(async () => (await HistoryAsync("healthy")).Count >= before + 2, "the other job keeps running");
        Assert.Null((await RowAsync(_victim)).OwnerNode); // and the errored one is not claimed again
    }

    /// <summary>A logging provider of the application's that throws for one event of one job.</summary>
    private sealed class ThrowingLoggerProvider(int eventId, string job, string message) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(eventId, job, message);

        public void Dispose()
        {
        }

        private sealed class Logger(int eventId, string job, string message) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId id, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (id.Id == eventId && formatter(state, exception).Contains(job, StringComparison.Ordinal)) throw new InvalidOperationException(message);
            }
        }
    }
}

public sealed class SqliteRunnerFailureTests : RunnerFailureTests
{
    protected override EngineStoreFactory CreateStoreFactory() => new SqliteEngineStoreFactory();

    /// <summary>
    /// Microsoft.Data.Sqlite is synchronous: a heartbeat waiting for another process's write lock blocked the keeper
    /// for up to the 30 s busy timeout before its deadline wait began, and when the lock came free the late heartbeat
    /// renewed a lease that had already ended (another node could have claimed the row meanwhile). The keeper must give
    /// the claim up (cancel the run) at its deadline, while the lock is still held.
    /// </summary>
    [Fact]
    public async Task A_heartbeat_blocked_on_the_write_lock_gives_the_claim_up_at_its_deadline()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var job = Job("long", "0 0 1 1 *", async (_, token) =>
        {
            started.TrySetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, token);
            }
            catch (OperationCanceledException)
            {
                cancelled.TrySetResult();
                throw;
            }
        });
        await PreSeedAsync(job, now => now);
        await StartNodeAsync([job]);
        await WithinDeadline(started.Task.ContinueWith(_ => true), "the job starts");

        // Another process's long write transaction: the lock is held until the run is cancelled, or for 25 s (under
        // the busy timeout, after which the old keeper's heartbeat went through and kept the run going).
        await using (var blocker = new SqliteConnection($"Data Source={((SqliteEngineStoreFactory)Store).Path};Default Timeout=30"))
        {
            await blocker.OpenAsync();
            await using var transaction = blocker.BeginTransaction(deferred: false);
            var cancelledWhileLocked = await Task.WhenAny(cancelled.Task, Task.Delay(TimeSpan.FromSeconds(25))) == cancelled.Task;
            await transaction.RollbackAsync();
            Assert.True(cancelledWhileLocked, "the run was not cancelled while its heartbeat could not reach the store: " + Logs.Dump());
        }

        Assert.Empty(await HistoryAsync("long")); // a lost claim writes no completion
    }
}

public sealed class PostgresRunnerFailureTests : RunnerFailureTests
{
    protected override EngineStoreFactory CreateStoreFactory() => new PostgresEngineStoreFactory();
}
