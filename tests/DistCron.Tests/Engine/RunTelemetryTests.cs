using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DistCron.Tests.Engine;

/// <summary>
/// What an operator's trace and log backends see of each run, against a real SQLite store with a real
/// <see cref="ActivityListener"/> and a real logger provider reading the host's scopes.
/// </summary>
public sealed class RunTelemetryTests : EngineTestBase
{
    protected override EngineStoreFactory CreateStoreFactory() => new SqliteEngineStoreFactory();

    private static ActivityListener ListenToDistCron(ConcurrentQueue<Activity> stopped)
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == "DistCron",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }

    // The completion writer's loop used to start inside the first run's span, so every later completion of the process
    // was written as a child of that ended span, and no other run's trace held its own database write.
    [Fact]
    public async Task Each_run_s_completion_is_written_inside_its_own_span()
    {
        using var listener = ListenToDistCron(new ConcurrentQueue<Activity>());
        RecordingStore? recorder = null;
        var job = Job("traced-" + App, "* * * * * *", (_, _) => Task.CompletedTask);
        await StartNodeAsync([job], o => o.DecorateStore(store => recorder = new RecordingStore(store)));
        await WaitUntilAsync(async () => (await HistoryAsync(job.Name)).Count >= 3, "three runs are recorded");

        var writes = recorder!.CompletionSpans.Where(w => w.Job == job.Name).ToArray();
        Assert.True(writes.Length >= 3, $"{writes.Length} completion(s) written");
        foreach (var (_, fence, current) in writes)
        {
            Assert.NotNull(current);
            Assert.Equal($"distcron.run {job.Name}", current.OperationName);
            Assert.Equal(fence, Assert.IsType<long>(current.GetTagItem("distcron.run.fence")));
        }

        Assert.Equal(writes.Length, writes.Select(w => w.Current!.TraceId).Distinct().Count());
    }

    [Fact]
    public async Task A_failed_run_s_span_has_error_status_and_an_exception_event()
    {
        var spans = new ConcurrentQueue<Activity>();
        using var listener = ListenToDistCron(spans);
        var job = Job("failing-" + App, "0 0 1 1 *", (_, _) => throw new InvalidOperationException("the job's own failure"));
        await PreSeedAsync(job, now => now);
        await StartNodeAsync([job]);
        await WaitUntilAsync(() => spans.Any(s => (string?)s.GetTagItem("distcron.job.name") == job.Name), "the run's span ends");

        var span = spans.Single(s => (string?)s.GetTagItem("distcron.job.name") == job.Name);
        Assert.Equal(ActivityStatusCode.Error, span.Status);
        Assert.Equal("Failed", span.GetTagItem("distcron.run.status"));
        var exception = Assert.Single(span.Events, e => e.Name == "exception");
        var tags = exception.Tags.ToDictionary(t => t.Key, t => t.Value);
        Assert.Equal(typeof(InvalidOperationException).FullName, tags["exception.type"]);
        Assert.Equal("the job's own failure", tags["exception.message"]);
        Assert.Contains(nameof(InvalidOperationException), (string)tags["exception.stacktrace"]!);
    }

    // Every running job's keeper retries until its lease runs out: a line per failed heartbeat was hundreds of lines
    // per outage on a node with many slots.
    [Fact]
    public async Task A_heartbeat_outage_is_logged_once_per_job()
    {
        RecordingStore? recorder = null;
        var job = new RunOnceUntilCancelled("outage-" + App);
        await PreSeedAsync(job.Definition, now => now);
        await StartNodeAsync([job.Definition], o => o.DecorateStore(store => recorder = new RecordingStore(store)));
        await job.Running.WaitAsync(Deadline);
        recorder!.FailingHeartbeats = new InvalidOperationException("the database is down");
        await job.Cancelled.WaitAsync(Deadline); // the keeper gave the claim up when its lease ran out

        Assert.True(recorder.FailedHeartbeats >= 2, $"{recorder.FailedHeartbeats} heartbeat(s) failed");
        Assert.Single(Logs.Entries, e => e.EventId.Id == 13 && e.Message.Contains(job.Definition.Name, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_job_s_own_logs_carry_its_job_occurrence_and_fence_and_the_success_line_is_Debug()
    {
        ILogger? user = null;
        JobContext? seen = null;
        var job = Job("scoped-" + App, "0 0 1 1 *", (context, _) =>
        {
            seen = context;
            user!.LogInformation("inside the job");
            return Task.CompletedTask;
        });
        await PreSeedAsync(job, now => now);
        var host = BuildNode([job]);
        user = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("UserJob");
        await host.StartAsync();
        await WaitUntilAsync(() => Logs.Entries.Any(e => e.EventId.Id == 6 && e.Message.Contains(job.Name, StringComparison.Ordinal)), "the run's success is logged");

        var line = Logs.Entries.Single(e => e.Category == "UserJob");
        Assert.Contains(line.Scope, kv => kv.Key == "JobName" && Equals(kv.Value, job.Name));
        Assert.Contains(line.Scope, kv => kv.Key == "OccurrenceAt" && Equals(kv.Value, seen!.ScheduledFor));
        Assert.Contains(line.Scope, kv => kv.Key == "Fence" && Equals(kv.Value, seen!.FencingToken));

        // A line per run at Information floods a busy fleet's logs: success is Debug.
        var success = Logs.Entries.Single(e => e.EventId.Id == 6 && e.Message.Contains(job.Name, StringComparison.Ordinal));
        Assert.Equal(LogLevel.Debug, success.Level);
        Assert.Contains(success.Scope, kv => kv.Key == "Fence" && Equals(kv.Value, seen!.FencingToken));
    }
}
