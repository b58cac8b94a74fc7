using System.Diagnostics;
using DistCron.Diagnostics;
using DistCron.Internal;
using DistCron.Scheduling;
using DistCron.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace DistCron.Engine;

/// <summary>
/// Handles one claimed and verified job (<see cref="NodeLoop"/> verifies each claim batch in one round trip) to
/// completion: resolve the row's schedule, apply the misfire rule, run the method in its own DI scope under a
/// kept-alive lease and an optional timeout, and write one fenced completion.
/// </summary>
/// <remarks>
/// At most one completion is ever written per claim, and none after the claim is lost. A run interrupted by shutdown
/// (token cancelled after <see cref="DistCronOptions.ShutdownTimeout"/>) is released, like a crash: the occurrence
/// runs again elsewhere. The returned task ends only when the job method has really returned, so an abandoned job
/// keeps its concurrency slot.
/// </remarks>
internal sealed class JobRunner
{
    private readonly EngineContext _context;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<DateTimeOffset, DueGate> _dueGates = new();

    private readonly CompletionWriter _completions;

    public JobRunner(EngineContext context, CompletionWriter completions)
    {
        _context = context;
        _completions = completions;
    }

    /// <param name="claim">The claim.</param>
    /// <param name="definition">The job's code-side definition (policy, timeout, retries, invoker).</param>
    /// <param name="stopping">Shutdown has begun: do not start new runs.</param>
    /// <param name="hardStop">The shutdown timeout passed: cancel running jobs.</param>
    /// <param name="methodReturned">Called once the job method has returned, before its completion is written: the run no
    /// longer occupies a slot (<see cref="DistCronOptions.MaxConcurrentJobs"/> counts running methods). Not called when
    /// the method never ran or was abandoned; the caller frees the slot when this task ends.</param>
    /// <remarks>
    /// Never throws. Whatever throws between the claim and its completion (a corrupt row, DistCron itself, or a logger,
    /// ActivityListener or MeterListener of the application's that DistCron called) ends in a claim marked errored, with
    /// the exception in the reason, and the lease keeper stopped: an exception that escaped left the lease held until it
    /// expired, and the row was claimed and failed again every lease, forever (and the job method ran every time when
    /// the failure came after it). Errored, the job waits for a node to re-seed it (a restart or deploy) and says why.
    /// </remarks>
    public async Task RunAsync(ClaimedJob claim, JobDefinition definition, CancellationToken stopping, CancellationToken hardStop,
        Action? methodReturned = null)
    {
        var state = new RunState();
        try
        {
            await HandleAsync(claim, definition, stopping, hardStop, methodReturned, state).ConfigureAwait(false);
        }
        catch (Exception ex) when (!state.Settled)
        {
            await FailAsync(claim, ex, state).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Thrown after the claim was settled (completed, released, errored or lost), by a logger or listener called
            // afterwards: nothing is left to write.
        }

        if (state.Invocation is { IsCompleted: false } running)
        {
            // Abandoned or interrupted but still running: hold the slot until it really ends; its outcome is ignored.
            try
            {
                await running.ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Ignored by design: the run was already recorded, released, errored or lost.
            }
        }
    }

    private async Task HandleAsync(ClaimedJob claim, JobDefinition definition, CancellationToken stopping, CancellationToken hardStop,
        Action? methodReturned, RunState state)
    {
        var name = claim.Token.JobName;
        var problem = RowCheck.Problem(claim.OccurrenceAt, claim.DueAt, claim.Attempt, claim.Token.Fence) ?? DefinitionProblem(definition);
        if (problem is not null)
        {
            await MarkErroredAsync(claim, problem, state).ConfigureAwait(false);
            return;
        }

        var resolved = ScheduleResolver.Resolve(claim.Schedule, claim.TimeZone, name);
        if (!resolved.Success)
        {
            await MarkErroredAsync(claim, resolved.Error!, state).ConfigureAwait(false);
            return;
        }

        var schedule = resolved.Schedule!;
        var decision = RunRules.OnClaim(schedule, definition.Misfire, claim.OccurrenceAt, claim.DueAt, claim.Attempt,
            claim.IsManualTrigger, _context.Clock.UtcNow, _context.MisfireThreshold);

        if (!decision.Run)
        {
            await SkipAsync(claim, schedule, state).ConfigureAwait(false);
            return;
        }

        if (stopping.IsCancellationRequested)
        {
            await ReleaseAsync(claim, state).ConfigureAwait(false);
            return;
        }

        if (decision.Misfired) Log.MisfireCatchUp(_context.Logger, name, claim.OccurrenceAt, claim.DueAt);
        await ExecuteAsync(claim, definition, schedule, decision, hardStop, methodReturned, state).ConfigureAwait(false);
    }

    // Definitions are validated at start-up (DistCronOptionsValidator); this is the runner's own guard for the one
    // value that reaches a timer only after the claim: a timeout past the timer limit threw after the lease keeper started.
    private static string? DefinitionProblem(JobDefinition definition)
    {
        if (definition.Timeout is { } timeout && !JobOptionText.DurationInRange(timeout, allowZero: false))
        {
            return $"the job's Timeout ({timeout}) must be {JobOptionText.DurationRange(allowZero: false)}";
        }

        if (definition.RetryDelay is { } delay && !JobOptionText.DurationInRange(delay, allowZero: true))
        {
            return $"the job's RetryDelay ({delay}) must be {JobOptionText.DurationRange(allowZero: true)}";
        }

        return null;
    }

    private async Task ExecuteAsync(ClaimedJob claim, JobDefinition definition, JobSchedule schedule, ClaimDecision decision,
        CancellationToken hardStop, Action? methodReturned, RunState state)
    {
        var name = claim.Token.JobName;
        using var run = CancellationTokenSource.CreateLinkedTokenSource(hardStop);
        using var keeperStop = new CancellationTokenSource();
        var keeper = new LeaseKeeper(_context, claim.Token, claim.LeaseUntil, run);
        var keeperTask = keeper.RunAsync(keeperStop.Token);
        var keeperStopped = false;
        async Task StopKeeperAsync()
        {
            if (keeperStopped) return;
            keeperStopped = true;
            keeperStop.Cancel();
            await keeperTask.ConfigureAwait(false); // LeaseKeeper.RunAsync never throws
        }

        try
        {
            // Everything above is set up before the due instant of a job claimed ahead, so little remains between the
            // instant and the method's entry.
            var (due, gate) = await WaitUntilDueAsync(claim, hardStop).ConfigureAwait(false);
            if (!due)
            {
                await StopKeeperAsync().ConfigureAwait(false);
                await ReleaseAsync(claim, state).ConfigureAwait(false);
                return;
            }

            using var timeout = definition.Timeout is { } limit ? new CancellationTokenSource(limit, _context.Time) : null;
            using var onTimeout = timeout?.Token.Register(static state => ((CancellationTokenSource)state!).Cancel(), run);
            using var activity = StartActivity(claim);
            var startedAt = _context.Clock.UtcNow;
            _context.Metrics.StartLag(name, startedAt - claim.DueAt);
            Log.RunStarted(_context.Logger, name, claim.OccurrenceAt, claim.Attempt);
            var context = new JobContext(name, claim.OccurrenceAt, _context.NodeId, claim.Attempt, claim.Token.Fence, claim.IsManualTrigger);
            var started = _context.Time.GetTimestamp();
            // Off this flow when the method may have to be abandoned (a timeout: a synchronous method that ignores its token
            // must not hold this runner), or when it was released by a due gate (the gate's waiters resume one after another
            // on the timer's thread: a synchronous method there would hold back the others' start). Otherwise this runner is
            // already a work item of its own (NodeLoop.Start), and a second one per run cost a thread wake-up (profiled).
            // InvokeAsync is an async method either way, so AsyncLocal changes the job makes (Activity.Current…) stay in it.
            var invocation = definition.Timeout is null && gate is null
                ? InvokeAsync(definition, context, gate, run.Token)
                : Task.Run(() => InvokeAsync(definition, context, gate, run.Token));
            state.Invocation = invocation;

            Exception? error = null;
            var abandoned = false;
            try
            {
                if (definition.Timeout is { } max)
                {
                    await invocation.WaitAsync(max + _context.AbandonGrace, _context.Time).ConfigureAwait(false);
                }
                else
                {
                    await invocation.ConfigureAwait(false);
                }
            }
            catch (TimeoutException) when (!invocation.IsCompleted)
            {
                abandoned = true;
            }
            catch (Exception ex)
            {
                error = ex;
            }

            var duration = _context.Time.GetElapsedTime(started);
            // The slot is free once the method has returned: the completion's round trip, and the wait for its batch, are
            // the engine's business, not a running job. Holding the slot through them made a node's throughput its slots
            // divided by claim + verify + completion round trips (measured: 16 slots, ~3 ms each, ~5,000 runs/s).
            if (invocation.IsCompleted) methodReturned?.Invoke();
            if (gate is not null) await gate.EveryoneEnteredAsync(_context.Time).ConfigureAwait(false);
            await StopKeeperAsync().ConfigureAwait(false);

            if (keeper.Lost)
            {
                state.Settled = true;
                LostClaim(name, claim.Token.Fence, "while running", activity);
            }
            else if (hardStop.IsCancellationRequested && (abandoned || error is OperationCanceledException))
            {
                Log.RunInterrupted(_context.Logger, name);
                activity?.SetTag("distcron.status", "interrupted");
                await ReleaseAsync(claim, state).ConfigureAwait(false);
            }
            else
            {
                var timedOut = timeout?.IsCancellationRequested == true && (abandoned || error is not null);
                var status = error is null && !abandoned ? RunStatus.Succeeded : timedOut ? RunStatus.TimedOut : RunStatus.Failed;
                if (abandoned) Log.RunAbandoned(_context.Logger, name, (long)_context.AbandonGrace.TotalMilliseconds);
                await CompleteRunAsync(claim, definition, schedule, decision, status, error, startedAt, duration, activity, state).ConfigureAwait(false);
            }
        }
        finally
        {
            // Whatever threw above (a timer, a listener, a logger), the lease is never kept alive past the handling.
            await StopKeeperAsync().ConfigureAwait(false);
        }
    }

    private async Task InvokeAsync(JobDefinition definition, JobContext context, DueGate? gate, CancellationToken token)
    {
        var scope = _context.ScopeFactory.CreateAsyncScope();
        await using (scope.ConfigureAwait(false))
        {
            var entered = definition.Invoker(scope.ServiceProvider, context, token);
            gate?.Entered();
            await entered.ConfigureAwait(false);
        }
    }

    private async Task CompleteRunAsync(ClaimedJob claim, JobDefinition definition, JobSchedule schedule, ClaimDecision decision,
        RunStatus status, Exception? error, DateTimeOffset startedAt, TimeSpan duration, Activity? activity, RunState state)
    {
        var name = claim.Token.JobName;
        var next = RunRules.AfterRun(schedule, definition.Misfire, decision, claim.OccurrenceAt, claim.Attempt,
            status == RunStatus.Succeeded, definition.MaxRetries, definition.RetryDelay, _context.Clock.UtcNow, _context.MisfireThreshold);

        var (errorType, errorMessage) = status switch
        {
            RunStatus.Succeeded => (null, null),
            RunStatus.TimedOut => (error?.GetType().FullName ?? typeof(TimeoutException).FullName,
                $"Timed out after {definition.Timeout}" + (error is null ? $"; the job ignored cancellation for {_context.AbandonGrace} and was abandoned" : $": {error.Message}")),
            _ => (error?.GetType().FullName, error?.Message),
        };

        var completion = new Completion(claim.Token, status, claim.OccurrenceAt, claim.Attempt, startedAt, duration,
            errorType, errorMessage, next.DueAt, next.OccurrenceAt, next.Attempt, claim.IsManualTrigger, claim.ScheduleRevision);

        activity?.SetTag("distcron.status", status.ToString());
        if (status != RunStatus.Succeeded) activity?.SetStatus(ActivityStatusCode.Error, errorType);

        var recorded = await CompleteWithRetryAsync(completion).ConfigureAwait(false);
        state.Settled = true;
        if (recorded == false)
        {
            LostClaim(name, claim.Token.Fence, "at completion", activity);
            return;
        }

        _context.Metrics.Completed(name, status.ToString(), duration, status != RunStatus.Succeeded);
        if (status == RunStatus.Succeeded)
        {
            Log.RunSucceeded(_context.Logger, name, (long)duration.TotalMilliseconds, next.DueAt);
        }
        else
        {
            Log.RunFailed(_context.Logger, error, name, status.ToString(), (long)duration.TotalMilliseconds, claim.Attempt, next.DueAt, next.Attempt);
        }
    }

    private async Task SkipAsync(ClaimedJob claim, JobSchedule schedule, RunState state)
    {
        var next = RunRules.AfterSkip(schedule, _context.Clock.UtcNow);
        var completion = new Completion(claim.Token, RunStatus.Skipped, claim.OccurrenceAt, claim.Attempt, null, TimeSpan.Zero,
            null, null, next.DueAt, next.OccurrenceAt, next.Attempt, claim.IsManualTrigger, claim.ScheduleRevision);
        var recorded = await CompleteWithRetryAsync(completion).ConfigureAwait(false);
        state.Settled = true;
        if (recorded == false)
        {
            LostClaim(claim.Token.JobName, claim.Token.Fence, "at skip", null);
            return;
        }

        if (recorded == true)
        {
            _context.Metrics.Completed(claim.Token.JobName, nameof(RunStatus.Skipped), null, failed: false);
            Log.MisfireSkipped(_context.Logger, claim.Token.JobName, claim.OccurrenceAt, claim.DueAt,
                (long)_context.MisfireThreshold.TotalMilliseconds, next.DueAt);
        }
    }

    // True: recorded. False: the claim was lost (fence moved). Null: the store stayed unreachable; the lease will expire
    // and the occurrence will be claimed again. Retrying is safe because the write is fenced: it can only ever apply
    // while nobody else has claimed the row.
    private async Task<bool?> CompleteWithRetryAsync(Completion completion)
    {
        var backoff = new Backoff(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(5));
        var giveUpAfter = _context.LeaseDuration * 2;
        var started = _context.Time.GetTimestamp();
        using var limit = new CancellationTokenSource(giveUpAfter, _context.Time);
        while (true)
        {
            try
            {
                return await _completions.CompleteAsync(completion, limit.Token).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                if (limit.IsCancellationRequested || _context.Time.GetElapsedTime(started) >= giveUpAfter)
                {
                    Log.CompletionFailed(_context.Logger, completion.Claim.JobName, completion.Claim.Fence, ex.GetType().Name, EngineContext.Describe(ex));
                    return null;
                }

                try
                {
                    await Task.Delay(backoff.NextDelay(), _context.Time, limit.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // The next attempt reports the final failure.
                }
            }
        }
    }

    // A job claimed ahead of its due time (EngineContext.ClaimAhead) starts on the due instant of the database clock
    // estimate, which never runs ahead of the database: never early. Jobs due at the same instant share a gate (see
    // DueGate). Due false: shutdown cut the wait short.
    private async Task<(bool Due, DueGate? Gate)> WaitUntilDueAsync(ClaimedJob claim, CancellationToken hardStop)
    {
        if (claim.IsManualTrigger || _context.Clock.Until(claim.DueAt) <= TimeSpan.Zero) return (true, null);
        var gate = _dueGates.GetOrAdd(claim.DueAt, at => new DueGate(at, this));
        gate.Join();
        try
        {
            await gate.Open.WaitAsync(hardStop).ConfigureAwait(false);
            return (true, gate);
        }
        catch (OperationCanceledException)
        {
            gate.Entered(); // never will: do not hold the others' completions
            return (false, null);
        }
    }

    /// <summary>
    /// The jobs claimed ahead for one due instant: one timer opens the gate for all of them, and their completions wait
    /// (briefly) until every one of them has been entered. On 2 cores shared with the database, the first runs'
    /// completions (a round trip and database work each) otherwise delayed the start of the last ones by ~10 ms in a
    /// batch of 100.
    /// </summary>
    private sealed class DueGate
    {
        private static readonly TimeSpan MaxCompletionHold = TimeSpan.FromMilliseconds(50);
        private readonly Lazy<Task> _open;
        private readonly TaskCompletionSource _everyoneEntered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _members;
        private int _entered;

        public DueGate(DateTimeOffset dueAt, JobRunner runner) => _open = new Lazy<Task>(() => runner.OpenAtAsync(dueAt));

        public Task Open => _open.Value;

        public void Join() => Interlocked.Increment(ref _members);

        public void Entered()
        {
            if (Interlocked.Increment(ref _entered) >= Volatile.Read(ref _members)) _everyoneEntered.TrySetResult();
        }

        public async Task EveryoneEnteredAsync(TimeProvider time)
        {
            if (_everyoneEntered.Task.IsCompleted) return;
            using var cancel = new CancellationTokenSource();
            await Task.WhenAny(_everyoneEntered.Task, Task.Delay(MaxCompletionHold, time, cancel.Token)).ConfigureAwait(false);
            cancel.Cancel();
        }
    }

    private static readonly TimeSpan PreciseTail = TimeSpan.FromMilliseconds(5);

    private async Task OpenAtAsync(DateTimeOffset dueAt)
    {
        try
        {
            // .NET timers run on a coarse clock (on Linux CLOCK_MONOTONIC_COARSE: one kernel tick, several ms); a due
            // gate's timer was logged firing 3 ms early and a 3 ms re-wait taking 9.6, and such a gate starts its whole
            // batch late. So the timer only brings the gate within PreciseTail of its instant, and the rest is slept on
            // this thread (Thread.Sleep: ~1 ms), a thread blocked a few milliseconds once per due instant. Measured:
            // benchmark lag phase at 2 nodes, p99 7.4 → 3.2–4.1 ms. Wait again until the estimate is there: never early.
            for (var wait = _context.Clock.Until(dueAt); wait > TimeSpan.Zero; wait = _context.Clock.Until(dueAt))
            {
                // A TimeProvider other than the system's (tests) moves only through its timers: no sleeping past it.
                var coarse = _context.Time != TimeProvider.System ? wait : wait - PreciseTail;
                if (coarse > TimeSpan.Zero) await Task.Delay(TimeSpan.FromMilliseconds(Math.Ceiling(coarse.TotalMilliseconds)), _context.Time).ConfigureAwait(false);
                else Thread.Sleep((int)Math.Ceiling(wait.TotalMilliseconds));
            }
        }
        finally
        {
            _dueGates.TryRemove(dueAt, out _); // a late arrival makes a new gate, which is already open
        }
    }

    private async Task ReleaseAsync(ClaimedJob claim, RunState state)
    {
        try
        {
            using var limit = new CancellationTokenSource(_context.LeaseDuration, _context.Time);
            await _context.Store.ReleaseAsync(claim.Token, limit.Token).ConfigureAwait(false);
            state.Settled = true;
            Log.Released(_context.Logger, claim.Token.JobName, claim.Token.Fence);
        }
        catch (Exception ex) when (!state.Settled)
        {
            // The lease expires on its own; the occurrence is claimed again after it.
            state.Settled = true;
            Log.StoreUnavailable(_context.Logger, _context.Store.Kind, "release", ex.GetType().Name, EngineContext.Describe(ex), 0);
        }
    }

    // The store is written first and logged after: a logger that throws must not keep the row from being marked.
    private async Task MarkErroredAsync(ClaimedJob claim, string reason, RunState state)
    {
        Exception? failure = null;
        try
        {
            using var limit = new CancellationTokenSource(_context.LeaseDuration, _context.Time);
            await _context.Store.MarkErroredAsync(claim.Token, reason, claim.ScheduleRevision, limit.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            failure = ex; // the lease expires on its own and the row is claimed (and found bad) again
        }

        state.Settled = true;
        Log.RowErrored(_context.Logger, claim.Token.JobName, reason);
        if (failure is not null)
        {
            Log.StoreUnavailable(_context.Logger, _context.Store.Kind, "mark errored", failure.GetType().Name, EngineContext.Describe(failure), 0);
        }
    }

    // The last resort of RunAsync: an exception between claim and completion, the lease keeper already stopped.
    private async Task FailAsync(ClaimedJob claim, Exception ex, RunState state)
    {
        var reason = $"the run could not be handled: {ex.GetType().FullName}: {ex.Message} (thrown outside the job method, by DistCron or by a logger, ActivityListener or MeterListener it called"
            + (state.Invocation is null ? "; the job method did not run)" : "; the job method had been started)");
        try
        {
            await MarkErroredAsync(claim, reason, state).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Only a logger can throw here, after the row was written (or the store failed): nothing else to do.
        }
    }

    /// <summary>What RunAsync must know when something throws: whether the claim was settled, and the method's task.</summary>
    private sealed class RunState
    {
        /// <summary>True once the claim was completed, released, marked errored or found lost (or the store gave up).</summary>
        public bool Settled { get; set; }

        /// <summary>The job method's task, once it was started.</summary>
        public Task? Invocation { get; set; }
    }

    private void LostClaim(string name, long fence, string stage, Activity? activity)
    {
        Log.LostClaim(_context.Logger, name, fence, stage);
        _context.Metrics.LostClaim(name);
        activity?.SetTag("distcron.status", "lost");
    }

    private Activity? StartActivity(ClaimedJob claim)
    {
        var activity = DistCronActivity.Source.StartActivity("distcron.run " + claim.Token.JobName, ActivityKind.Internal);
        if (activity is null) return null;
        activity.SetTag("distcron.job", claim.Token.JobName);
        activity.SetTag("distcron.node", _context.NodeId);
        activity.SetTag("distcron.occurrence", claim.OccurrenceAt.ToString("o", System.Globalization.CultureInfo.InvariantCulture));
        activity.SetTag("distcron.attempt", claim.Attempt);
        activity.SetTag("distcron.fence", claim.Token.Fence);
        activity.SetTag("distcron.manual", claim.IsManualTrigger);
        return activity;
    }
}
