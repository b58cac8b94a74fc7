using System.Collections.Concurrent;
using DistCron.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace DistCron.Tests.Engine;

/// <summary>
/// How many statements the engine spends: claims in batches under saturation, one verify per batch, and an idle node
/// that stays registered with nothing but its polls. Observed through <see cref="RecordingStore"/> over a real store.
/// </summary>
public abstract class EngineEfficiencyTests : EngineTestBase
{
    [Fact]
    public async Task A_saturated_node_claims_again_only_when_all_its_slots_are_free()
    {
        RecordingStore? recorder = null;
        var gates = new ConcurrentDictionary<string, TaskCompletionSource>();
        var started = new ConcurrentQueue<string>();
        var jobs = Enumerable.Range(1, 8).Select(i => Job($"backlog-{i}", "0 0 1 1 *", async (ctx, _) =>
        {
            started.Enqueue(ctx.JobName);
            await gates.GetOrAdd(ctx.JobName, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        })).ToArray();
        foreach (var job in jobs) await PreSeedAsync(job, now => now.AddSeconds(-1));
        TaskCompletionSource Gate(string name) => gates.GetOrAdd(name, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

        await StartNodeAsync(jobs, o =>
        {
            o.MaxConcurrentJobs = 4;
            o.SaturatedClaimWait = TimeSpan.FromMinutes(10); // only freed slots may trigger the next claim here
            o.DecorateStore(store => recorder = new RecordingStore(store));
        });

        await WaitUntilAsync(() => started.Count == 4, "the first 4 jobs start");
        var firstClaims = recorder!.Claims.Count;
        Assert.Equal(4, recorder.Claims.Last().MaxJobs);
        Assert.Equal(1, recorder.Count(nameof(IJobStore.VerifyAsync))); // one verify for the whole batch

        // Three slots free one by one: 4 jobs are still due, but a claim of fewer rows than slots is not worth it while
        // a job still runs (SaturatedClaimWait, lengthened here, would claim into them).
        foreach (var name in started.Take(3).ToArray())
        {
            Gate(name).TrySetResult();
            await WaitUntilAsync(async () => (await HistoryAsync(name)).Count == 1, $"{name} completes");
        }
        await Task.Delay(TimeSpan.FromSeconds(1.5)); // three poll intervals: every chance to (wrongly) claim
        Assert.Equal(firstClaims, recorder.Claims.Count);
        Assert.Equal(4, started.Count);

        // The last slot frees: the node claims the four remaining rows at once.
        Gate(started.Skip(3).First()).TrySetResult();
        await WaitUntilAsync(() => started.Count == 8, "the four other jobs start");
        Assert.Equal(firstClaims + 1, recorder.Claims.Count);
        Assert.Equal(4, recorder.Claims.Last().MaxJobs);

        foreach (var job in jobs) Gate(job.Name).TrySetResult();
        await EachRecordedOnceAsync(jobs, "every job ran once");
    }

    [Fact]
    public async Task A_saturated_node_resumes_its_claims_yet_takes_a_row_that_went_back_behind_it_within_seconds()
    {
        // Under a backlog the node resumes each claim after the last row of its previous one (PostgreSQL; SQLite ignores
        // the position). A row can go back behind that position: here the lease of a node that died runs out on the
        // oldest due row. Claiming from the start at least every poll interval (500 ms here) is what finds it while every claim
        // still comes back full (40 every-second jobs of 100 ms on 2 slots: twice what the node can run).
        RecordingStore? recorder = null;
        var backlog = Enumerable.Range(1, 40).Select(i => Job($"busy-{i:D2}", "* * * * * *", (_, token) => Task.Delay(100, token))).ToArray();
        var orphanRan = new TaskCompletionSource<DateTimeOffset>(TaskCreationOptions.RunContinuationsAsynchronously);
        var orphan = Job("orphan", "0 0 1 1 *", (_, _) =>
        {
            orphanRan.TrySetResult(DateTimeOffset.UtcNow);
            return Task.CompletedTask;
        });
        foreach (var job in backlog) await PreSeedAsync(job, now => now.AddSeconds(-1));
        await PreSeedAsync(orphan, now => now.AddHours(-1)); // the oldest: first in claim order
        var dead = await (await InspectAsync()).ClaimDueAsync(App, "dead-node", ["orphan"], 1, TimeSpan.FromSeconds(3), CancellationToken.None);
        var leaseEnds = Assert.Single(dead.Claimed).LeaseUntil;

        await StartNodeAsync([.. backlog, orphan], o =>
        {
            o.MaxConcurrentJobs = 2;
            o.DecorateStore(store => recorder = new RecordingStore(store));
        });

        var ranAt = await WithinDeadline(orphanRan.Task, "the orphaned row runs");
        Assert.True(ranAt - leaseEnds < TimeSpan.FromSeconds(5), $"ran {(ranAt - leaseEnds).TotalSeconds:0.0} s after the dead node's lease ended");
        // The backlog (twice what the node can run) keeps it saturated throughout; on a loaded machine the orphan may run
        // before ten claims have come back, so the saturation is awaited rather than counted at that instant.
        await WaitUntilAsync(() => recorder!.Batches.Count(b => b.Claimed.Count == 2) >= 10, "the node stays saturated: its claims come back full");
        if (Store is PostgresEngineStoreFactory) Assert.Contains(recorder!.Claims, c => c.After is not null);
    }

    [Fact]
    public async Task An_idle_node_stays_registered_with_nothing_but_its_polls()
    {
        RecordingStore? recorder = null;
        await StartNodeAsync([Job("yearly", "0 0 1 1 *", (_, _) => Task.CompletedTask)],
            o => o.DecorateStore(store => recorder = new RecordingStore(store))); // poll 500 ms, lease 2 s: live window 6 s
        var inspector = await InspectAsync();
        await WaitUntilAsync(async () => (await inspector.ListNodesAsync(App, CancellationToken.None)).Count == 1, "the node registers");
        var registered = (await inspector.ListNodesAsync(App, CancellationToken.None)).Single();

        // Longer than the live window: without its claims refreshing the heartbeat, the node would count as dead.
        var until = registered.HeartbeatAt + TimeSpan.FromSeconds(8);
        await WaitUntilAsync(async () => await inspector.GetDatabaseTimeAsync(CancellationToken.None) > until, "8 s of database time pass");

        var node = (await inspector.ListNodesAsync(App, CancellationToken.None)).Single();
        var now = await inspector.GetDatabaseTimeAsync(CancellationToken.None);
        Assert.True(node.HeartbeatAt > now - TimeSpan.FromSeconds(6), $"heartbeat {node.HeartbeatAt:O} is within the live window at {now:O}");
        Assert.Equal(1, recorder!.Count(nameof(IJobStore.RegisterNodeAsync))); // at start-up only, not every lease (2 s)

        // After start-up the only statements are the polls' claims (and the history pruner's housekeeping).
        var afterStartup = recorder.Calls.SkipWhile(c => c != nameof(IJobStore.ClaimDueAsync)).ToArray();
        var others = afterStartup.Where(c => c is not (nameof(IJobStore.ClaimDueAsync) or nameof(IJobStore.WaitForSignalAsync) or nameof(IJobStore.PruneHistoryAsync))).ToArray();
        Assert.True(others.Length == 0, "unexpected store calls while idle: " + string.Join(", ", others));
        Assert.True(afterStartup.Count(c => c == nameof(IJobStore.ClaimDueAsync)) >= 8, "the node kept polling");
    }
    [Fact]
    public async Task A_job_the_node_has_no_code_for_is_handed_back_at_once_and_never_claimed_again()
    {
        // Claims exclude a few names instead of listing every job, so another deployment's job can be claimed once.
        var ran = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var mine = Job("mine", "0 0 1 1 *", (_, _) => { ran.TrySetResult(); return Task.CompletedTask; });
        var theirs = Job("theirs", "0 0 1 1 *", (_, _) => Task.CompletedTask);
        await PreSeedAsync(theirs, now => now.AddSeconds(-1));
        await PreSeedAsync(mine, now => now.AddSeconds(-1));
        await StartNodeAsync([mine]);

        await WithinDeadline(ran.Task.ContinueWith(_ => true), "the node's own job to run");
        await WaitUntilAsync(() => Logs.Has(19), "the foreign claim is logged");
        await WaitUntilAsync(async () => (await RowAsync("theirs")).OwnerNode is null, "the foreign job is handed back");
        await Task.Delay(TimeSpan.FromSeconds(1.5)); // three polls: every chance to (wrongly) claim it again

        var row = await RowAsync("theirs");
        Assert.Equal(1, row.Fence); // claimed exactly once
        Assert.Null(row.OwnerNode);
        Assert.Null(row.LeaseUntil);
        Assert.True(row.NextDueAt <= await (await InspectAsync()).GetDatabaseTimeAsync(CancellationToken.None), "still due for a node that has its code");
        Assert.Empty(await HistoryAsync("theirs"));
    }
    [Fact]
    public async Task Jobs_are_claimed_ahead_of_their_due_time_and_started_on_it_never_before()
    {
        RecordingStore? recorder = null;
        var entries = new ConcurrentQueue<(DateTimeOffset Scheduled, DateTimeOffset DatabaseTimeAtEntry)>();
        IJobStore? clock = null;
        var job = Job("every-second", "* * * * * *", async (ctx, token) =>
        {
            // Read right at entry: the database's clock must already be at or past the scheduled instant.
            entries.Enqueue((ctx.ScheduledFor, await clock!.GetDatabaseTimeAsync(token)));
        });
        clock = await InspectAsync();
        await StartNodeAsync([job], o => o.DecorateStore(store => recorder = new RecordingStore(store)));

        await WaitUntilAsync(() => entries.Count >= 4, "four runs");
        Assert.All(entries, e => Assert.True(e.DatabaseTimeAtEntry >= e.Scheduled,
            $"started at database time {e.DatabaseTimeAtEntry:O}, before its occurrence {e.Scheduled:O}"));
        Assert.Contains(recorder!.Batches, b => b.Claimed.Any(c => c.DueAt > b.DatabaseNow)); // claimed before it was due
        Assert.All(recorder.Claims, c => Assert.True(c.Ahead > TimeSpan.Zero));
    }
    [Fact]
    public async Task Completions_that_arrive_together_are_written_in_one_round_trip()
    {
        RecordingStore? recorder = null;
        var (jobs, runs) = await CountingJobsDueAsync("together", 20);
        await StartNodeAsync(jobs, o =>
        {
            o.MaxConcurrentJobs = 20;
            o.DecorateStore(store => recorder = new RecordingStore(store));
        });

        await EachRecordedOnceAsync(jobs, "every job is recorded once");
        Assert.Equal(20, runs.Count);
        Assert.Equal(20, recorder!.CompletionBatches.Sum());
        Assert.True(recorder.CompletionBatches.Count < 20, $"20 completions took {recorder.CompletionBatches.Count} round trips");
    }

    [Fact]
    public async Task A_slot_is_free_once_the_job_method_returns_while_its_completion_is_still_being_written()
    {
        // MaxConcurrentJobs counts running methods. Holding the slot through the completion's round trip made a node's
        // throughput its slots divided by claim + verify + completion round trips.
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new ConcurrentQueue<string>();
        var jobs = new[] { "slot-a", "slot-b" }.Select(name => Job(name, "0 0 1 1 *", (ctx, _) =>
        {
            started.Enqueue(ctx.JobName);
            return Task.CompletedTask;
        })).ToArray();
        foreach (var job in jobs) await PreSeedAsync(job, now => now.AddSeconds(-1));
        await StartNodeAsync(jobs, o =>
        {
            o.MaxConcurrentJobs = 1;
            o.DecorateStore(store => new RecordingStore(store) { HeldCompletions = held.Task });
        });

        // The first run's completion cannot be written yet, but its method returned: the second job gets the slot.
        await WaitUntilAsync(() => started.Count == 2, "both jobs start while the first completion is held");
        foreach (var job in jobs) Assert.Empty(await HistoryAsync(job.Name));

        held.TrySetResult();
        await EachRecordedOnceAsync(jobs, "both runs are recorded once");
        Assert.Equal(2, started.Count);
    }

    [Fact]
    public async Task A_node_whose_completions_cannot_be_written_stops_claiming_at_its_slots_plus_one_completion_batch()
    {
        // Methods that return at once, completions that never reach the store: without a cap on the leases a node holds,
        // it would claim the whole backlog into completions nobody writes (and nobody heartbeats).
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var (jobs, started) = await CountingJobsDueAsync("pile", 80);
        await StartNodeAsync(jobs, o =>
        {
            o.MaxConcurrentJobs = 4;
            o.LeaseDuration = TimeSpan.FromSeconds(60); // completions give up after two leases: not within this test
            o.DecorateStore(store => new RecordingStore(store) { HeldCompletions = held.Task });
        });

        await WaitUntilAsync(() => started.Count == 4 + 64, "the node fills its slots plus one completion batch");
        await Task.Delay(TimeSpan.FromSeconds(1.5)); // three poll intervals: every chance to (wrongly) claim more
        Assert.Equal(4 + 64, started.Count);

        held.TrySetResult();
        await EachRecordedOnceAsync(jobs, "every job runs and is recorded once");
        Assert.Equal(80, started.Count);
    }

    [Fact]
    public async Task A_busy_node_goes_round_its_loop_per_batch_not_per_run_and_throws_nothing()
    {
        // 128 backlog jobs through 16 slots: claims of 16 as slots free. The loop used to be woken by
        // every freed slot (and to start and cancel a signal wait, with an exception, around every sleep).
        RecordingStore? recorder = null;
        var (jobs, runs) = await CountingJobsDueAsync("busy", 128);

        var thrown = new ConcurrentQueue<Exception>();
        var inNode = new AsyncLocal<bool>();
        EventHandler<System.Runtime.ExceptionServices.FirstChanceExceptionEventArgs> count = (_, e) =>
        {
            if (inNode.Value) thrown.Enqueue(e.Exception); // thrown anywhere in this node's flow: its loop, runners, store calls
        };
        inNode.Value = true; // flows into everything the host starts from here
        AppDomain.CurrentDomain.FirstChanceException += count;
        try
        {
            var host = await StartNodeAsync(jobs, o =>
            {
                o.MaxConcurrentJobs = 16;
                o.SaturatedClaimWait = TimeSpan.FromMinutes(10); // only a batch's worth of freed slots triggers a claim
                o.DecorateStore(store => recorder = new RecordingStore(store));
            });
            inNode.Value = false;
            await WaitUntilAsync(async () => (await HistoryAsync("busy-128")).Count == 1 && runs.Count == 128, "every job runs");
            await EachRecordedOnceAsync(jobs, "every run is recorded");

            var iterations = host.Services.GetRequiredService<DistCron.Engine.NodeHealth>().Iterations;
            var claims = recorder!.Claims.Count;
            Assert.True(iterations <= 2 * claims + 20, $"{iterations} loop rounds for {claims} claims and 128 runs");
            Assert.Equal(0, recorder.CancelledSignalWaits);
            Assert.True(thrown.IsEmpty, "exceptions thrown while running: " + string.Join(" | ", thrown.Select(e => e.GetType().Name + ": " + e.Message).Distinct()));
        }
        finally
        {
            AppDomain.CurrentDomain.FirstChanceException -= count;
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_node_stops_cleanly_whether_or_not_it_completed_anything(bool runOnce)
    {
        var ran = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var job = Job("maybe", "0 0 1 1 *", (_, _) => { ran.TrySetResult(); return Task.CompletedTask; });
        if (runOnce) await PreSeedAsync(job, now => now.AddSeconds(-1));
        var host = await StartNodeAsync([job]);
        if (runOnce)
        {
            await WithinDeadline(ran.Task.ContinueWith(_ => true), "the job to run");
            await WaitUntilAsync(async () => (await HistoryAsync("maybe")).Count == 1, "its completion is recorded");
        }
        else
        {
            await WaitUntilAsync(() => Logs.Has(1), "the node starts"); // "node started"
        }

        await host.StopAsync(TimeSpan.FromSeconds(30));

        // A background service that throws while stopping is logged by the host as an error (Host[9]), never thrown.
        var errors = Logs.Entries.Where(e => e.Level >= Microsoft.Extensions.Logging.LogLevel.Error).ToArray();
        Assert.True(errors.Length == 0, Logs.Dump());
    }

    private Task EachRecordedOnceAsync(IEnumerable<JobDefinition> jobs, string what) =>
        WaitUntilAsync(async () => (await Task.WhenAll(jobs.Select(j => HistoryAsync(j.Name)))).All(h => h.Count == 1), what);

    /// <summary>
    /// <paramref name="count"/> no-op jobs named <c>prefix-001</c>… that count their runs, all due a second ago (seeded in
    /// one batch, so a node started next finds the whole backlog).
    /// </summary>
    private async Task<(JobDefinition[] Jobs, RunCounter Runs)> CountingJobsDueAsync(string prefix, int count)
    {
        var runs = new RunCounter();
        var jobs = Enumerable.Range(1, count).Select(i => Job($"{prefix}-{i:D3}", "0 0 1 1 *", (_, _) =>
        {
            runs.Add();
            return Task.CompletedTask;
        })).ToArray();
        var inspector = await InspectAsync();
        var now = await inspector.GetDatabaseTimeAsync(CancellationToken.None);
        await inspector.SeedAsync(App, jobs.Select(j => new SeedJob(j.Name, j.Schedule, j.TimeZone, j.DefinitionHash, now.AddSeconds(-1))).ToList(), CancellationToken.None);
        return (jobs, runs);
    }

    private sealed class RunCounter
    {
        private int _count;
        public int Count => Volatile.Read(ref _count);
        public void Add() => Interlocked.Increment(ref _count);
    }
}

public sealed class SqliteEngineEfficiencyTests : EngineEfficiencyTests
{
    protected override EngineStoreFactory CreateStoreFactory() => new SqliteEngineStoreFactory();
}

public sealed class PostgresEngineEfficiencyTests : EngineEfficiencyTests
{
    protected override EngineStoreFactory CreateStoreFactory() => new PostgresEngineStoreFactory();
}
