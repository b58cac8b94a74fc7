using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using DistCron.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace DistCron.Tests.Engine;

/// <summary>Runs, retries, timeouts and several nodes, against a real store.</summary>
public abstract class EngineRunTests : EngineTestBase
{
    [Fact]
    public async Task Every_second_job_runs_each_occurrence_once_with_its_context()
    {
        var contexts = new ConcurrentQueue<JobContext>();
        var job = Job("tick", "* * * * * *", (ctx, _) => { contexts.Enqueue(ctx); return Task.CompletedTask; });
        await StartNodeAsync([job]);

        await WaitUntilAsync(async () => (await HistoryAsync("tick")).Count >= 3, "three runs are recorded");
        var history = (await HistoryAsync("tick")).OrderBy(r => r.OccurrenceAt).ToList();
        Assert.All(history, r => Assert.Equal(RunStatus.Succeeded, r.Status));
        Assert.Equal(history.Count, history.Select(r => r.OccurrenceAt).Distinct().Count());
        Assert.All(history, r => Assert.Equal(0, r.OccurrenceAt.Millisecond));
        Assert.All(history, r => Assert.Equal(1, r.Attempt));

        var first = history[0];
        var context = contexts.First(c => c.ScheduledFor == first.OccurrenceAt);
        Assert.Equal("tick", context.JobName);
        Assert.Equal(first.NodeId, context.NodeId);
        Assert.Equal(first.Fence, context.FencingToken);
        Assert.Equal(1, context.Attempt);
        Assert.False(context.IsManualTrigger);
        Assert.True(history.Zip(history.Skip(1)).All(p => p.Second.Fence > p.First.Fence), "every claim carries a larger fence");
    }

    [Fact]
    public async Task Failed_run_is_retried_for_the_same_occurrence_then_the_schedule_resumes()
    {
        var attempts = new ConcurrentQueue<int>();
        var job = Job("flaky", "0 0 1 1 *", (ctx, _) =>
        {
            attempts.Enqueue(ctx.Attempt);
            return ctx.Attempt < 3 ? throw new InvalidOperationException($"boom {ctx.Attempt}") : Task.CompletedTask;
        }, retryDelay: TimeSpan.FromMilliseconds(200), maxRetries: 3);
        await PreSeedAsync(job, now => now);
        await StartNodeAsync([job]);

        await WaitUntilAsync(async () => (await HistoryAsync("flaky")).Any(r => r.Status == RunStatus.Succeeded), "the third attempt succeeds");
        var history = (await HistoryAsync("flaky")).OrderBy(r => r.Id).ToList();
        Assert.Equal(new[] { RunStatus.Failed, RunStatus.Failed, RunStatus.Succeeded }, history.Select(r => r.Status));
        Assert.Equal(new[] { 1, 2, 3 }, history.Select(r => r.Attempt));
        Assert.Single(history.Select(r => r.OccurrenceAt).Distinct());
        Assert.Equal(typeof(InvalidOperationException).FullName, history[0].ErrorType);
        Assert.Equal("boom 1", history[0].ErrorMessage);
        Assert.Equal(new[] { 1, 2, 3 }, attempts);

        var row = await RowAsync("flaky");
        Assert.Equal(1, row.Attempt);
        Assert.True(row.NextDueAt > history[2].FinishedAt.AddDays(1), "after the retries the job waits for its next yearly occurrence");
    }

    [Fact]
    public async Task Timeout_cancels_the_token_and_records_timed_out()
    {
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var job = Job("slow", "0 0 1 1 *", async (_, token) =>
        {
            using var registration = token.Register(() => cancelled.TrySetResult());
            await Task.Delay(Timeout.Infinite, token);
        }, timeout: TimeSpan.FromMilliseconds(300));
        await PreSeedAsync(job, now => now);
        await StartNodeAsync([job]);

        await WithinDeadline(cancelled.Task.ContinueWith(_ => true), "the job's token to be cancelled");
        await WaitUntilAsync(async () => (await HistoryAsync("slow")).Count == 1, "the timed-out run is recorded");
        var run = (await HistoryAsync("slow")).Single();
        Assert.Equal(RunStatus.TimedOut, run.Status);
        Assert.StartsWith("Timed out after 00:00:00.3000000", run.ErrorMessage);
        Assert.True(run.Duration >= TimeSpan.FromMilliseconds(250), $"ran {run.Duration}");
    }

    [Fact]
    public async Task Job_ignoring_its_timeout_is_recorded_once_as_timed_out_and_abandoned()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var finished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var job = Job("stubborn", "0 0 1 1 *", async (_, _) =>
        {
            await release.Task; // ignores its token on purpose
            finished.TrySetResult();
        }, timeout: TimeSpan.FromMilliseconds(200));
        await PreSeedAsync(job, now => now);
        await StartNodeAsync([job]);

        await WaitUntilAsync(async () => (await HistoryAsync("stubborn")).Count == 1, "the abandoned run is recorded");
        var run = (await HistoryAsync("stubborn")).Single();
        Assert.Equal(RunStatus.TimedOut, run.Status);
        Assert.Contains("abandoned", run.ErrorMessage);
        Assert.False(finished.Task.IsCompleted, "recorded while the job method was still running");
        Assert.True(Logs.Has(14));

        release.SetResult();
        await WithinDeadline(finished.Task.ContinueWith(_ => true), "the abandoned job to return");
        var row = await RowAsync("stubborn");
        Assert.Null(row.OwnerNode);
        Assert.Single(await HistoryAsync("stubborn")); // the zombie's late return is never recorded
    }

    [Fact]
    public async Task Max_concurrent_jobs_bounds_the_runs_of_one_node_and_freed_slots_are_refilled()
    {
        var current = 0;
        var maxSeen = 0;
        var done = new ConcurrentDictionary<string, int>();
        JobDefinition Busy(string name) => Job(name, "* * * * * *", async (ctx, _) =>
        {
            var now = Interlocked.Increment(ref current);
            InterlockedMax(ref maxSeen, now);
            await Task.Delay(100);
            Interlocked.Decrement(ref current);
            done.AddOrUpdate(ctx.JobName, 1, (_, n) => n + 1);
        });
        await StartNodeAsync([Busy("busy-a"), Busy("busy-b"), Busy("busy-c")], o => o.MaxConcurrentJobs = 1);

        await WaitUntilAsync(() => done.Count == 3 && done.Values.All(n => n >= 2), "every job ran twice through the single slot");
        Assert.Equal(1, Volatile.Read(ref maxSeen));
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }

    [Fact]
    public async Task Several_nodes_on_one_database_run_each_occurrence_exactly_once()
    {
        var runs = new ConcurrentQueue<(DateTimeOffset Occurrence, string Node)>();
        JobDefinition Tick() => Job("shared", "* * * * * *", (ctx, _) => { runs.Enqueue((ctx.ScheduledFor, ctx.NodeId)); return Task.CompletedTask; });
        var other = Job("other", "* * * * * *", (_, _) => Task.CompletedTask);
        await Task.WhenAll(StartNodeAsync([Tick(), other]), StartNodeAsync([Tick(), other]), StartNodeAsync([Tick(), other]));

        await WaitUntilAsync(async () => (await HistoryAsync("shared")).Count >= 5, "five runs are recorded");
        var history = await HistoryAsync("shared");
        Assert.Equal(history.Count, history.Select(r => r.OccurrenceAt).Distinct().Count());
        var invoked = runs.ToArray();
        Assert.Equal(invoked.Length, invoked.Select(r => r.Occurrence).Distinct().Count());
        Assert.All(history, r => Assert.Equal(RunStatus.Succeeded, r.Status));
    }

    [Fact]
    public async Task A_node_with_a_skewed_wall_clock_schedules_by_the_database_clock()
    {
        var started = new ConcurrentQueue<(DateTimeOffset Scheduled, DateTimeOffset Wall)>();
        var job = Job("skewed", "* * * * * *", (ctx, _) => { started.Enqueue((ctx.ScheduledFor, DateTimeOffset.UtcNow)); return Task.CompletedTask; });
        await StartNodeAsync([job], services: s => s.AddSingleton<TimeProvider>(new SkewedTimeProvider(TimeSpan.FromMinutes(10))));
        await StartNodeAsync([job], services: s => s.AddSingleton<TimeProvider>(new SkewedTimeProvider(TimeSpan.FromMinutes(-10))));

        await WaitUntilAsync(async () => (await HistoryAsync("skewed")).Count >= 3, "three runs are recorded");
        Assert.All(await HistoryAsync("skewed"), r => Assert.Equal(RunStatus.Succeeded, r.Status));
        // Each run started within a few seconds of its occurrence by the real clock: not 10 minutes early or late.
        Assert.All(started, s => Assert.InRange((s.Wall - s.Scheduled).TotalSeconds, -1, 30));
        Assert.False(Logs.Has(8) || Logs.Has(9), "nothing was seen as misfired");
    }

    [Fact]
    public async Task Each_run_emits_a_span_and_metrics()
    {
        var measurements = new ConcurrentQueue<(string Instrument, object? Job, object? Status)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "DistCron") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((i, _, tags, _) => measurements.Enqueue((i.Name, Tag(tags, "distcron.job.name"), Tag(tags, "distcron.run.status"))));
        listener.SetMeasurementEventCallback<double>((i, _, tags, _) => measurements.Enqueue((i.Name, Tag(tags, "distcron.job.name"), Tag(tags, "distcron.run.status"))));
        listener.Start();

        var spans = new ConcurrentQueue<Activity>();
        using var activities = new ActivityListener
        {
            ShouldListenTo = s => s.Name == "DistCron",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(activities);

        string? spanInJob = null;
        var job = Job("observed-" + App, "0 0 1 1 *", (_, _) => { spanInJob = Activity.Current?.OperationName; return Task.CompletedTask; });
        await PreSeedAsync(job, now => now);
        await StartNodeAsync([job]);
        await WaitUntilAsync(async () => (await HistoryAsync(job.Name)).Count == 1, "the run is recorded");
        await WaitUntilAsync(() => spans.Any(s => (string?)s.GetTagItem("distcron.job.name") == job.Name && s.GetTagItem("distcron.run.status") is not null), "the span ends");

        var span = spans.First(s => (string?)s.GetTagItem("distcron.job.name") == job.Name);
        Assert.Equal($"distcron.run {job.Name}", span.OperationName);
        Assert.Equal(span.OperationName, spanInJob);
        Assert.Equal("Succeeded", span.GetTagItem("distcron.run.status"));
        Assert.Equal(1, span.GetTagItem("distcron.run.attempt"));
        Assert.NotNull(span.GetTagItem("distcron.run.fence"));
        Assert.NotNull(span.GetTagItem("distcron.node.id"));
        Assert.NotNull(span.GetTagItem("distcron.run.occurrence"));

        var mine = measurements.Where(m => (string?)m.Job == job.Name).ToArray();
        Assert.Contains(mine, m => m.Instrument == "distcron.runs" && (string?)m.Status == "Succeeded");
        Assert.Contains(mine, m => m.Instrument == "distcron.claims");
        Assert.Contains(mine, m => m.Instrument == "distcron.run.duration");
        Assert.Contains(mine, m => m.Instrument == "distcron.run.start_lag");
        Assert.DoesNotContain(mine, m => m.Instrument == "distcron.run.failures");
    }

    private static object? Tag(ReadOnlySpan<KeyValuePair<string, object?>> tags, string key)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == key) return tag.Value;
        }

        return null;
    }

    /// <summary>A wall clock that is off by a fixed amount; monotonic time is untouched.</summary>
    private sealed class SkewedTimeProvider(TimeSpan skew) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + skew;
    }
}

public sealed class SqliteEngineRunTests : EngineRunTests
{
    protected override EngineStoreFactory CreateStoreFactory() => new SqliteEngineStoreFactory();
}

public sealed class PostgresEngineRunTests : EngineRunTests
{
    protected override EngineStoreFactory CreateStoreFactory() => new PostgresEngineStoreFactory();
}
