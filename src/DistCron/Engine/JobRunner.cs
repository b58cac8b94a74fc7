using System.Diagnostics;
using DistCron.Diagnostics;
using DistCron.Scheduling;
using DistCron.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace DistCron.Engine;

/// <summary>
/// The flow of one occurrence, top to bottom: claim (in a batch), verify (the whole batch in one round trip), then for
/// each claim resolve the row's schedule, apply the misfire rule, run the method in its own DI scope under a kept-alive
/// lease and an optional timeout, and write one fenced completion (batched by <see cref="CompletionWriter"/>). The
/// outcomes other than a completion (skip, release, mark errored, lost) are in JobRunner.Outcomes.cs. When to claim and
/// how much is <see cref="NodeLoop"/>'s to decide.
/// </summary>
/// <remarks>
/// At most one completion is ever written per claim, and none after the claim is lost. A run interrupted by shutdown
/// (token cancelled after <see cref="DistCronOptions.ShutdownTimeout"/>) is released, like a crash: the occurrence
/// runs again elsewhere. A run's handling ends only when the job method has really returned, so an abandoned job keeps
/// its concurrency slot.
/// </remarks>
internal sealed partial class JobRunner : IAsyncDisposable
{
    private readonly EngineContext _context;
    private readonly IReadOnlyDictionary<string, JobDefinition> _definitions;
    private readonly RunSlots _slots;
    private readonly DueGates _dueGates;
    private readonly CompletionWriter _completions;
    private readonly NodeGauges _gauges;

    /// <summary>The runs whose lease is being kept alive: what a shutdown names at its deadline.</summary>
    public RunningJobs Running { get; } = new();

    public JobRunner(EngineContext context, IReadOnlyDictionary<string, JobDefinition> definitions, RunSlots slots)
    {
        _context = context;
        _definitions = definitions;
        _slots = slots;
        _dueGates = new DueGates(context);
        _completions = new CompletionWriter(context);
        _gauges = new NodeGauges(context.NodeId, context.Time, definitions.Keys.ToArray(), slots);
    }

    /// <summary>
    /// Claims what <paramref name="request"/> asks for, verifies the batch and starts a run for each claim still ours.
    /// Returns the batch and the monotonic timestamp its answer arrived. Throws when the claim fails (the loop backs
    /// off); a failed verify is logged and starts nothing.
    /// </summary>
    /// <param name="request">The claim.</param>
    /// <param name="stopping">Shutdown has begun: runs not started yet release their claims.</param>
    /// <param name="hardStop">The shutdown timeout passed: cancel running jobs.</param>
    public async Task<(ClaimBatch Batch, long AnsweredAt)> ClaimAndStartAsync(ClaimRequest request, CancellationToken stopping, CancellationToken hardStop)
    {
        // Not cancelled by shutdown: a claim that committed but surfaced as "cancelled" would leave rows leased to a node
        // that no longer runs them. Its runs release claims made after stopping.
        using var claimLimit = new CancellationTokenSource(_context.LeaseDuration, _context.Time);
        var sentAt = _context.Clock.RoundTripStarts();
        var batch = await _context.Store.ClaimDueAsync(request, claimLimit.Token).ConfigureAwait(false);
        var answeredAt = _context.Time.GetTimestamp();
        _context.Clock.Observe(batch.DatabaseNow, sentAt);
        if (_gauges.Claimed(batch.DatabaseNow)) _context.Metrics.Watch(_gauges);
        await StartVerifiedAsync(batch.Claimed, stopping, hardStop).ConfigureAwait(false);
        return (batch, answeredAt);
    }

    // Verifies the whole batch in one round trip right before its runs start; a claim that is no longer ours (this
    // node stalled past its lease and another took the row) does not run. When the store cannot answer, nothing runs:
    // the leases expire and the occurrences are claimed again.
    private async Task StartVerifiedAsync(IReadOnlyList<ClaimedJob> claims, CancellationToken stopping, CancellationToken hardStop)
    {
        if (claims.Count == 0) return;
        IReadOnlyList<ClaimToken> owned;
        try
        {
            using var limit = new CancellationTokenSource(_context.LeaseDuration, _context.Time);
            owned = await _context.Store.VerifyAsync(claims.Select(c => c.Token).ToArray(), limit.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Log.StoreUnavailable(_context.Logger, _context.Store.Kind, "verify", ex.GetType().Name, EngineContext.Describe(ex), 0);
            return;
        }

        var stillOurs = owned.ToHashSet();
        foreach (var claimed in claims)
        {
            if (stillOurs.Contains(claimed.Token))
            {
                Start(claimed, stopping, hardStop);
            }
            else
            {
                Log.LostClaim(_context.Logger, claimed.Token.JobName, claimed.Token.Fence, "before start");
                _context.Metrics.LostClaim(claimed.Token.JobName, "before start");
            }
        }
    }

    // On the loop thread: the slot is taken before the work starts, so the run's entry can never outlive the work.
    private void Start(ClaimedJob claimed, CancellationToken stopping, CancellationToken hardStop)
    {
        var name = claimed.Token.JobName;
        var known = _definitions.TryGetValue(name, out var definition);
        if (!known) _slots.NoCodeFor(name);
        _context.Metrics.Claimed(name);
        Log.Claimed(_context.Logger, name, claimed.OccurrenceAt, claimed.Attempt, claimed.Token.Fence);
        var slot = _slots.Start(name, _context.Time.GetTimestamp());
        _ = Task.Run(async () =>
        {
            using var scope = RunLogScope.Begin(_context.Logger, claimed);
            try
            {
                if (known)
                {
                    await RunAsync(claimed, definition!, stopping, hardStop, slot).ConfigureAwait(false);
                }
                else
                {
                    // Another deployment's job (a rolling deploy, or several services under one app name): handed
                    // back at once, and never claimed again by this node.
                    Log.UnknownJob(_context.Logger, name);
                    await _context.Store.ReleaseAsync(claimed.Token, CancellationToken.None).ConfigureAwait(false);
                }
            }
            catch (Exception ex)
            {
                // RunAsync never throws; this is a last resort (the unknown job's release) so the slot is always freed.
                Log.StoreUnavailable(_context.Logger, _context.Store.Kind, "run handling", ex.GetType().Name, EngineContext.Describe(ex), 0);
            }
            finally
            {
                slot.End();
            }
        });
    }

    /// <summary>Handles one claimed and verified job to its outcome.</summary>
    /// <param name="claim">The claim.</param>
    /// <param name="definition">The job's code-side definition (policy, timeout, retries, invoker).</param>
    /// <param name="stopping">Shutdown has begun: do not start new runs.</param>
    /// <param name="hardStop">The shutdown timeout passed: cancel running jobs.</param>
    /// <param name="slot">The run's slot, freed once the job method has returned, before its completion is written.
    /// When the method never ran or was abandoned, the caller frees it when this task ends.</param>
    /// <remarks>
    /// Never throws. Whatever throws between the claim and its completion (a corrupt row, DistCron itself, or a logger,
    /// ActivityListener or MeterListener of the application's that DistCron called) ends in a claim marked errored, with
    /// the exception in the reason, and the lease keeper stopped: an exception that escaped left the lease held until it
    /// expired, and the row was claimed and failed again every lease, forever (and the job method ran every time when
    /// the failure came after it). Errored, the job waits for a node to re-seed it (a restart or deploy) and says why.
    /// </remarks>
    private async Task RunAsync(ClaimedJob claim, JobDefinition definition, CancellationToken stopping, CancellationToken hardStop,
        RunSlots.Run slot)
    {
        var state = new RunState();
        try
        {
            await HandleAsync(claim, definition, stopping, hardStop, slot, state).ConfigureAwait(false);
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
        RunSlots.Run slot, RunState state)
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
        await ExecuteAsync(claim, definition, schedule, decision, hardStop, slot, state).ConfigureAwait(false);
    }

    private async Task ExecuteAsync(ClaimedJob claim, JobDefinition definition, JobSchedule schedule, ClaimDecision decision,
        CancellationToken hardStop, RunSlots.Run slot, RunState state)
    {
        var name = claim.Token.JobName;
        using var run = CancellationTokenSource.CreateLinkedTokenSource(hardStop);
        var keeper = new LeaseKeeper(_context, claim.Token, claim.LeaseUntil, run);
        keeper.Start();
        using var listed = Running.Add(claim, keeper);
        Task StopKeeperAsync() => keeper.StopAsync(); // never throws

        try
        {
            // Everything above is set up before the due instant of a job claimed ahead, so little remains between the
            // instant and the method's entry.
            var (due, gate) = await _dueGates.WaitUntilDueAsync(claim, hardStop).ConfigureAwait(false);
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
            // Off this flow when the method may have to be abandoned (a timeout: a synchronous method that ignores its
            // token must not hold this runner), or when it was released by a due gate (the gate's waiters resume one
            // after another on the timer's thread: a synchronous method there would hold back the others' start).
            // Otherwise this runner is already a work item of its own (Start), and a second one per run costs a thread
            // wake-up. InvokeAsync is an async method either way, so AsyncLocal changes the job makes
            // (Activity.Current…) stay in it.
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
            if (invocation.IsCompleted) slot.MethodReturned();
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
                activity?.SetTag(TelemetryTags.RunStatus, "interrupted");
                if (abandoned) activity?.SetStatus(ActivityStatusCode.Error, "abandoned at shutdown");
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

        activity?.SetTag(TelemetryTags.RunStatus, status.ToString());
        if (status != RunStatus.Succeeded) activity?.SetStatus(ActivityStatusCode.Error, errorType);
        if (error is not null) activity?.AddEvent(ExceptionEvent(error));

        var recorded = await CompleteWithRetryAsync(completion).ConfigureAwait(false);
        state.Settled = true;
        if (recorded == false)
        {
            LostClaim(name, claim.Token.Fence, "at completion", activity);
            return;
        }

        _context.HeartbeatOutages.Reached(name);
        _context.Metrics.Completed(name, status.ToString(), duration, status == RunStatus.Succeeded ? null : errorType ?? "_OTHER");
        if (status == RunStatus.Succeeded)
        {
            _gauges.Succeeded(name, _context.Clock.UtcNow);
            Log.RunSucceeded(_context.Logger, name, (long)duration.TotalMilliseconds, next.DueAt);
        }
        else
        {
            Log.RunFailed(_context.Logger, error, name, status.ToString(), (long)duration.TotalMilliseconds, claim.Attempt, next.DueAt, next.Attempt);
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

    /// <summary>Writes the completions still queued; called once every run has ended. The node's gauges stop.</summary>
    public ValueTask DisposeAsync()
    {
        _context.Metrics.Unwatch(_gauges);
        return _completions.DisposeAsync();
    }
}
