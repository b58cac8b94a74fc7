using System.Collections.Concurrent;
using DistCron.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace DistCron.Tests.Engine;

/// <summary>Lost claims, misfires, bad rows and graceful shutdown, against a real store.</summary>
public abstract class EngineClaimTests : EngineTestBase
{
    [Fact]
    public async Task Lost_claim_cancels_the_running_job_and_it_is_never_completed()
    {
        var running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var job = Job("stolen", "0 0 1 1 *", async (_, token) =>
        {
            using var registration = token.Register(() => cancelled.TrySetResult());
            running.TrySetResult();
            await Task.Delay(Timeout.Infinite, token);
        });
        await PreSeedAsync(job, now => now);
        await StartNodeAsync([job]);

        await WithinDeadline(running.Task.ContinueWith(_ => true), "the job to start");
        await Store.StealClaimAsync(App, "stolen");
        await WithinDeadline(cancelled.Task.ContinueWith(_ => true), "the heartbeat to notice the lost claim and cancel the job");
        await WaitUntilAsync(() => Logs.Has(4), "the lost claim is logged");

        // Give the runner every chance to (wrongly) complete, then check nothing was written over the thief's claim.
        await WaitUntilAsync(() => Logs.Entries.Any(e => e.EventId.Id == 4 && e.Message.Contains("while running")), "the run handling ends");
        Assert.Empty(await HistoryAsync("stolen"));
        var row = await RowAsync("stolen");
        Assert.Equal("thief-node", row.OwnerNode);
        Assert.Null(row.LastStatus);
    }

    [Fact]
    public async Task Heartbeats_the_store_never_answers_still_cancel_the_job_when_the_lease_runs_out_and_it_is_never_completed()
    {
        RecordingStore? recorder = null;
        var job = new RunOnceUntilCancelled("unanswered");
        await PreSeedAsync(job.Definition, now => now);
        await StartNodeAsync([job.Definition], o => o.DecorateStore(store => recorder = new RecordingStore(store)));
        await WithinDeadline(job.Running.ContinueWith(_ => true), "the job to start");
        var firstRun = await RowAsync("unanswered");

        // From now on no heartbeat answers, and none honours its cancellation: the lease keeper must keep the deadline.
        var unanswered = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        recorder!.UnansweredHeartbeats = unanswered.Task;
        try
        {
            await WithinDeadline(job.Cancelled.ContinueWith(_ => true), "the job to be cancelled when the lease runs out");
            await WaitUntilAsync(() => Logs.Entries.Any(e => e.EventId.Id == 4 && e.Message.Contains("while running")), "the lost claim is logged");
            Assert.False(unanswered.Task.IsCompleted);

            // The abandoned claim recorded nothing; the occurrence is claimed again (fence + 1) and completed once.
            await WaitUntilAsync(async () => (await HistoryAsync("unanswered")).Count == 1, "the occurrence is re-run and recorded");
            var run = (await HistoryAsync("unanswered")).Single();
            Assert.Equal(RunStatus.Succeeded, run.Status);
            Assert.True(run.Fence > firstRun.Fence, $"recorded by fence {run.Fence}, the abandoned claim had fence {firstRun.Fence}");
            Assert.Equal(2, job.Starts);
        }
        finally
        {
            unanswered.TrySetResult(false);
        }
    }

    [Fact]
    public async Task Misfired_occurrence_under_run_once_runs_once_and_resumes_after_database_now()
    {
        var scheduled = new ConcurrentQueue<DateTimeOffset>();
        var job = Job("catch-up", "0 * * * *", (ctx, _) => { scheduled.Enqueue(ctx.ScheduledFor); return Task.CompletedTask; });
        DateTimeOffset seededDue = default;
        await PreSeedAsync(job, now => seededDue = now.AddHours(-3));
        await StartNodeAsync([job]);

        await WaitUntilAsync(async () => (await HistoryAsync("catch-up")).Count == 1, "the catch-up run is recorded");
        var run = (await HistoryAsync("catch-up")).Single();
        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.Equal(seededDue.ToUnixTimeMilliseconds(), run.OccurrenceAt.ToUnixTimeMilliseconds()); // the oldest missed occurrence
        Assert.Single(scheduled);

        var row = await RowAsync("catch-up");
        Assert.True(row.NextDueAt > run.FinishedAt, "the next due time is in the future: the other missed occurrences collapsed");
        Assert.True(row.NextDueAt <= run.FinishedAt.AddHours(1));
        Assert.Equal(0, row.NextDueAt!.Value.Minute);
        await WaitUntilAsync(() => Logs.Has(9), "the catch-up is logged");
    }

    [Fact]
    public async Task Misfired_occurrence_under_skip_is_recorded_as_skipped_and_not_run()
    {
        var invoked = 0;
        var job = Job("skipper", "0 * * * *", (_, _) => { Interlocked.Increment(ref invoked); return Task.CompletedTask; }, misfire: MisfirePolicy.Skip);
        await PreSeedAsync(job, now => now.AddHours(-3));
        await StartNodeAsync([job]);

        await WaitUntilAsync(async () => (await HistoryAsync("skipper")).Count == 1, "the skip is recorded");
        var run = (await HistoryAsync("skipper")).Single();
        Assert.Equal(RunStatus.Skipped, run.Status);
        Assert.Null(run.StartedAt);
        Assert.Equal(0, Volatile.Read(ref invoked));
        var row = await RowAsync("skipper");
        Assert.True(row.NextDueAt > run.FinishedAt);
        Assert.Null(row.OwnerNode);
        // The log line follows the completion that the history shows, so wait for it rather than race it.
        await WaitUntilAsync(() => Logs.Has(8), "the skip is logged");
    }

    [Theory]
    [InlineData("not a cron", "UTC", "invalid schedule 'not a cron'")]
    [InlineData("* * * * * *", "Mars/Base", "unknown time zone 'Mars/Base'")]
    public async Task Row_with_a_bad_schedule_or_time_zone_is_marked_errored_and_other_jobs_continue(string schedule, string timeZone, string reason)
    {
        var badRuns = 0;
        var bad = Job("bad-row", "* * * * * *", (_, _) => { Interlocked.Increment(ref badRuns); return Task.CompletedTask; });
        var good = Job("good-row", "* * * * * *", (_, _) => Task.CompletedTask);
        // Someone edited the crontab: the row (the source of truth for schedule and zone) is garbage, the code is fine.
        await PreSeedAsync(bad, now => now, schedule, timeZone);
        await StartNodeAsync([bad, good]);

        await WaitUntilAsync(async () => (await RowAsync("bad-row")).Error is not null, "the bad row is marked errored");
        Assert.Contains(reason, (await RowAsync("bad-row")).Error);
        await WaitUntilAsync(async () => (await HistoryAsync("good-row")).Count >= 2, "the good job keeps running");
        Assert.Equal(0, Volatile.Read(ref badRuns));
        Assert.Empty(await HistoryAsync("bad-row"));
        Assert.Contains(Logs.Entries, e => e.EventId.Id == 10 && e.Message.Contains(reason));
    }

    [Fact]
    public async Task Shutdown_lets_a_running_job_finish_with_its_token_untouched()
    {
        var running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tokenCancelled = false;
        var job = Job("finishing", "0 0 1 1 *", async (_, token) =>
        {
            running.TrySetResult();
            await Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None);
            tokenCancelled = token.IsCancellationRequested;
        });
        await PreSeedAsync(job, now => now);
        var host = await StartNodeAsync([job]);
        await WithinDeadline(running.Task.ContinueWith(_ => true), "the job to start");

        await host.StopAsync(TimeSpan.FromSeconds(30));
        Assert.False(tokenCancelled);
        var run = Assert.Single(await HistoryAsync("finishing"));
        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.True(Logs.Has(2), "the node stopped");
    }

    [Fact]
    public async Task Job_still_running_at_the_shutdown_timeout_is_cancelled_and_its_claim_released()
    {
        var running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var job = Job("interrupted", "0 0 1 1 *", async (_, token) =>
        {
            running.TrySetResult();
            await Task.Delay(Timeout.Infinite, token);
        });
        await PreSeedAsync(job, now => now);
        var dueBefore = (await RowAsync("interrupted")).NextDueAt;
        var host = await StartNodeAsync([job], o => o.ShutdownTimeout = TimeSpan.FromMilliseconds(500));
        await WithinDeadline(running.Task.ContinueWith(_ => true), "the job to start");

        await host.StopAsync(TimeSpan.FromSeconds(30));
        Assert.True(Logs.Has(17), "the shutdown timeout was reported");
        Assert.True(Logs.Has(15), "the interruption was reported");
        Assert.Empty(await HistoryAsync("interrupted"));
        var row = await RowAsync("interrupted");
        Assert.Null(row.OwnerNode);
        Assert.Null(row.LeaseUntil);
        Assert.Equal(dueBefore, row.NextDueAt); // the occurrence runs again on the next node, at once
    }

    [Fact]
    public async Task When_the_host_stops_waiting_first_running_jobs_are_cancelled_and_released()
    {
        var running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var job = Job("host-timeout", "0 0 1 1 *", async (_, token) =>
        {
            using var registration = token.Register(() => cancelled.TrySetResult());
            running.TrySetResult();
            await Task.Delay(Timeout.Infinite, token);
        });
        await PreSeedAsync(job, now => now);
        var host = await StartNodeAsync([job], o => o.ShutdownTimeout = TimeSpan.FromMinutes(5),
            s => s.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromMilliseconds(300)));
        await WithinDeadline(running.Task.ContinueWith(_ => true), "the job to start");

        await host.StopAsync();
        await WithinDeadline(cancelled.Task.ContinueWith(_ => true), "the job's token to be cancelled when the host gave up");
        await WaitUntilAsync(async () => (await RowAsync("host-timeout")).OwnerNode is null, "the claim is released");
        Assert.Empty(await HistoryAsync("host-timeout"));
    }

    [Fact]
    public async Task Released_occurrence_is_run_by_the_next_node()
    {
        var firstRunning = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var runs = new ConcurrentQueue<(string Node, DateTimeOffset Occurrence)>();
        var job = Job("handover", "0 0 1 1 *", async (ctx, token) =>
        {
            runs.Enqueue((ctx.NodeId, ctx.ScheduledFor));
            firstRunning.TrySetResult();
            if (runs.Count == 1) await Task.Delay(Timeout.Infinite, token);
        });
        await PreSeedAsync(job, now => now);
        var first = await StartNodeAsync([job], o => o.ShutdownTimeout = TimeSpan.FromMilliseconds(300));
        await WithinDeadline(firstRunning.Task.ContinueWith(_ => true), "the first node to start the job");
        await first.StopAsync(TimeSpan.FromSeconds(30));

        await StartNodeAsync([job]);
        await WaitUntilAsync(async () => (await HistoryAsync("handover")).Count == 1, "the second node completes the occurrence");
        var history = await HistoryAsync("handover");
        var all = runs.ToArray();
        Assert.Equal(2, all.Length);
        Assert.NotEqual(all[0].Node, all[1].Node);
        Assert.Equal(all[0].Occurrence, all[1].Occurrence);
        Assert.Equal(all[1].Node, history.Single().NodeId);
    }
}

public sealed class SqliteEngineClaimTests : EngineClaimTests
{
    protected override EngineStoreFactory CreateStoreFactory() => new SqliteEngineStoreFactory();
}

public sealed class PostgresEngineClaimTests : EngineClaimTests
{
    protected override EngineStoreFactory CreateStoreFactory() => new PostgresEngineStoreFactory();
}
