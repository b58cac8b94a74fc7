using System.Diagnostics;
using DistCron.Diagnostics;
using DistCron.Internal;
using DistCron.Scheduling;
using DistCron.Storage;

namespace DistCron.Engine;

/// <summary>A claim's outcomes other than a run's completion: skipped, released, marked errored, lost.</summary>
internal sealed partial class JobRunner
{
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
            _context.Metrics.Completed(claim.Token.JobName, nameof(RunStatus.Skipped), null, errorType: null);
            Log.MisfireSkipped(_context.Logger, claim.Token.JobName, claim.OccurrenceAt, claim.DueAt,
                (long)_context.MisfireThreshold.TotalMilliseconds, next.DueAt);
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

    private void LostClaim(string name, long fence, string stage, Activity? activity)
    {
        Log.LostClaim(_context.Logger, name, fence, stage);
        _context.Metrics.LostClaim(name, stage);
        activity?.SetTag(TelemetryTags.RunStatus, "lost");
        activity?.SetStatus(ActivityStatusCode.Error, "claim lost " + stage);
    }

    // OpenTelemetry's exception event: what a trace backend shows as the span's exception.
    private static ActivityEvent ExceptionEvent(Exception error) => new("exception", tags: new ActivityTagsCollection
    {
        ["exception.type"] = error.GetType().FullName,
        ["exception.message"] = error.Message,
        ["exception.stacktrace"] = error.ToString(),
    });

    // Every run of one occurrence (first attempt, retries) links to the occurrence's own context, so a trace backend
    // finds a retry from its first attempt and back; a manual run's occurrence is its request time.
    private Activity? StartActivity(ClaimedJob claim)
    {
        if (!DistCronActivity.Source.HasListeners()) return null; // the tags and the link cost nothing when nobody listens
        var name = claim.Token.JobName;
        var tags = new ActivityTagsCollection
        {
            [TelemetryTags.JobName] = name,
            [TelemetryTags.NodeId] = _context.NodeId,
            [TelemetryTags.RunOccurrence] = OccurrenceLink.Format(claim.OccurrenceAt),
            [TelemetryTags.RunAttempt] = claim.Attempt,
            [TelemetryTags.RunFence] = claim.Token.Fence,
            [TelemetryTags.RunManual] = claim.IsManualTrigger,
        };
        return DistCronActivity.Source.StartActivity("distcron.run " + name, ActivityKind.Internal, parentContext: default, tags,
            [OccurrenceLink.For(_context.App, name, claim.OccurrenceAt)]);
    }

    /// <summary>What RunAsync must know when something throws: whether the claim was settled, and the method's task.</summary>
    private sealed class RunState
    {
        /// <summary>True once the claim was completed, released, marked errored or found lost (or the store gave up).</summary>
        public bool Settled { get; set; }

        /// <summary>The job method's task, once it was started.</summary>
        public Task? Invocation { get; set; }
    }
}
