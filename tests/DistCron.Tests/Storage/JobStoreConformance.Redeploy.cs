using System.Reflection;
using DistCron.Storage;

namespace DistCron.Tests.Storage;

/// <summary>
/// Conformance of completions against schedule changes made while the run was in flight: a seed of a
/// new definition, a resume, a pause. The claim's schedule revision travels with the completion; a completion computed
/// from a schedule state the row no longer has records its outcome but never overwrites the newer due time.
/// </summary>
public abstract partial class JobStoreConformance
{
    private const string Yearly = "0 0 1 1 *";
    private const string EverySecond = "* * * * * *";

    private static DateTimeOffset NextFirstOfJanuary(DateTimeOffset now) => new(now.Year + 1, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_new_definition_seeded_during_a_run_keeps_its_due_time_when_the_old_run_completes()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        await store.SeedAsync(App, [Job("a", now.AddSeconds(-1), "release-1", Yearly)], Ct);
        var claim = Assert.Single((await store.ClaimDueAsync(App, "old-node", ["a"], 1, LongLease, Ct)).Claimed);
        Assert.Equal((await RowAsync(store, "a")).ScheduleRevision, claim.ScheduleRevision);

        // Release 2 starts while release 1's run is in flight: every second from now on.
        var newDue = now.AddSeconds(1);
        await store.SeedAsync(App, [Job("a", newDue, "release-2", EverySecond)], Ct);
        Assert.Equal(claim.ScheduleRevision + 1, (await RowAsync(store, "a")).ScheduleRevision);

        // Release 1's run completes with the next occurrence of ITS schedule: next 1 January.
        Assert.True(await store.CompleteAsync(Done(claim, NextFirstOfJanuary(now)), Ct));

        var row = await RowAsync(store, "a");
        Assert.Equal(EverySecond, row.Schedule);
        Assert.Equal(newDue, row.NextDueAt); // not a year of silence
        Assert.Equal(newDue, row.OccurrenceAt);
        Assert.Equal(1, row.Attempt);
        // The outcome is recorded and the claim is gone.
        Assert.Null(row.OwnerNode);
        Assert.Null(row.LeaseUntil);
        Assert.Equal(RunStatus.Succeeded, row.LastStatus);
        Assert.Equal("old-node", row.LastNode);
        var run = Assert.Single(await store.GetHistoryAsync(App, "a", 10, Ct));
        Assert.Equal(claim.OccurrenceAt, run.OccurrenceAt);

        // The new schedule's first occurrence is claimed as soon as it is due.
        await DatabaseTimePassesAsync(store, newDue);
        var next = Assert.Single((await store.ClaimDueAsync(App, "new-node", ["a"], 1, LongLease, Ct)).Claimed);
        Assert.Equal(newDue, next.OccurrenceAt);
        Assert.Equal(EverySecond, next.Schedule);
    }

    [Fact]
    public async Task An_old_schedule_run_completing_after_a_redeploy_adds_no_run_at_an_old_schedule_time()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        await store.SeedAsync(App, [Job("a", now.AddSeconds(-1), "release-1", EverySecond)], Ct);
        var claim = Assert.Single((await store.ClaimDueAsync(App, "old-node", ["a"], 1, LongLease, Ct)).Claimed);

        var newDue = NextFirstOfJanuary(now);
        await store.SeedAsync(App, [Job("a", newDue, "release-2", Yearly)], Ct);
        // The old run's next occurrence (the next second) is already due when it completes.
        Assert.True(await store.CompleteAsync(Done(claim, now), Ct));

        var row = await RowAsync(store, "a");
        Assert.Equal(newDue, row.NextDueAt);
        Assert.Equal(newDue, row.OccurrenceAt);
        Assert.Empty((await store.ClaimDueAsync(App, "new-node", ["a"], 1, LongLease, Ct)).Claimed);
    }

    [Fact]
    public async Task A_failed_run_never_schedules_a_retry_of_the_old_occurrence_under_a_new_definition()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        var occurrence = now.AddSeconds(-2);
        await store.SeedAsync(App, [Job("a", occurrence, "release-1")], Ct);

        // Without a redeploy, a failed run schedules its retry (same revision: the completion's schedule fields apply).
        var first = Assert.Single((await store.ClaimDueAsync(App, "n1", ["a"], 1, LongLease, Ct)).Claimed);
        Assert.True(await store.CompleteAsync(Done(first, now.AddSeconds(-1), RunStatus.Failed, nextAttempt: 2,
            nextOccurrence: occurrence, errorType: "E", errorMessage: "boom"), Ct));
        var retry = Assert.Single((await store.ClaimDueAsync(App, "n1", ["a"], 1, LongLease, Ct)).Claimed);
        Assert.Equal(2, retry.Attempt);
        Assert.Equal(occurrence, retry.OccurrenceAt);

        // A redeploy during the retry, which fails again and asks for attempt 3 of the old occurrence.
        var newDue = now.AddHours(1);
        await store.SeedAsync(App, [Job("a", newDue, "release-2", "0 * * * *")], Ct);
        Assert.True(await store.CompleteAsync(Done(retry, now.AddSeconds(10), RunStatus.Failed, nextAttempt: 3,
            nextOccurrence: occurrence, errorType: "E", errorMessage: "boom again"), Ct));

        var row = await RowAsync(store, "a");
        Assert.Equal(newDue, row.NextDueAt);
        Assert.Equal(newDue, row.OccurrenceAt);
        Assert.Equal(1, row.Attempt);
        Assert.Equal(RunStatus.Failed, row.LastStatus);
        Assert.Equal("boom again", row.LastError);
        var history = await store.GetHistoryAsync(App, "a", 10, Ct);
        Assert.Equal([2, 1], history.Select(r => r.Attempt));
        Assert.All(history, r => Assert.Equal(occurrence, r.OccurrenceAt));
    }

    [Fact]
    public async Task A_restart_with_the_same_definition_during_a_run_leaves_the_completion_in_charge()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        await store.SeedAsync(App, [Job("a", now.AddSeconds(-1))], Ct);
        var claim = Assert.Single((await store.ClaimDueAsync(App, "n1", ["a"], 1, LongLease, Ct)).Claimed);

        await store.SeedAsync(App, [Job("a", now.AddHours(5))], Ct); // another node restarts: same hash
        Assert.True(await store.CompleteAsync(Done(claim, now.AddMinutes(5)), Ct));

        var row = await RowAsync(store, "a");
        Assert.Equal(claim.ScheduleRevision, row.ScheduleRevision);
        Assert.Equal(now.AddMinutes(5), row.NextDueAt);
    }

    [Fact]
    public async Task A_resume_during_a_run_wins_over_the_runs_completion()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        await store.SeedAsync(App, [Job("a", now.AddMinutes(-10))], Ct);
        var claim = Assert.Single((await store.ClaimDueAsync(App, "n1", ["a"], 1, LongLease, Ct)).Claimed);

        // Paused and resumed while the run is in flight: the resume restarts the schedule after now.
        Assert.True(await store.PauseAsync(App, "a", Ct));
        var resumedAt = now.AddMinutes(5);
        Assert.Equal(ResumeOutcome.Resumed, await store.ResumeAsync(App, "a", resumedAt, null, Ct));

        // The run completes with the next occurrence after ITS occurrence: one that passed while the job was paused.
        Assert.True(await store.CompleteAsync(Done(claim, now.AddMinutes(-5)), Ct));

        var row = await RowAsync(store, "a");
        Assert.False(row.Paused);
        Assert.Equal(resumedAt, row.NextDueAt);
        Assert.Equal(resumedAt, row.OccurrenceAt);
        Assert.Equal(1, row.Attempt);
        Assert.Null(row.OwnerNode);
        Assert.Empty((await store.ClaimDueAsync(App, "n1", ["a"], 1, LongLease, Ct)).Claimed); // the missed occurrence does not run
    }

    [Fact]
    public async Task A_pause_during_a_run_stays_in_force_after_the_runs_completion()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        await store.SeedAsync(App, [Job("a", now.AddSeconds(-2), schedule: EverySecond)], Ct);
        var claim = Assert.Single((await store.ClaimDueAsync(App, "n1", ["a"], 1, LongLease, Ct)).Claimed);

        Assert.True(await store.PauseAsync(App, "a", Ct));
        // The run fails and asks for a retry that is already due.
        Assert.True(await store.CompleteAsync(Done(claim, now.AddSeconds(-1), RunStatus.Failed, nextAttempt: 2,
            nextOccurrence: claim.OccurrenceAt), Ct));

        var row = await RowAsync(store, "a");
        Assert.True(row.Paused);
        Assert.Null(row.OwnerNode);
        Assert.Empty((await store.ClaimDueAsync(App, "n1", ["a"], 1, LongLease, Ct)).Claimed); // nothing runs while paused

        // Resuming restarts the schedule after now: the retry of the occurrence from before the pause is dropped.
        var client = new DistCronClient(store, App);
        var next = await client.ResumeAsync("a", Ct);
        var resumed = await RowAsync(store, "a");
        Assert.False(resumed.Paused);
        Assert.Equal(next, resumed.NextDueAt);
        Assert.True(resumed.NextDueAt > now);
        Assert.Equal(1, resumed.Attempt);
    }

    [Fact]
    public async Task A_resume_racing_a_redeploy_computes_the_due_time_from_the_new_schedule()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        await store.SeedAsync(App, [Job("a", NextFirstOfJanuary(now), "release-1", Yearly)], Ct);
        Assert.True(await store.PauseAsync(App, "a", Ct));

        // The client reads the row, then asks for the database time: release 2 is seeded right then, between the
        // read of the old schedule and the resume's write.
        var interleaved = SeedBeforeNextClockRead.Wrap(store,
            () => store.SeedAsync(App, [Job("a", now.AddSeconds(1), "release-2", EverySecond)], Ct));
        var client = new DistCronClient(interleaved, App);

        var next = await client.ResumeAsync("a", Ct);

        var row = await RowAsync(store, "a");
        Assert.Equal(EverySecond, row.Schedule);
        Assert.False(row.Paused);
        Assert.Equal(next, row.NextDueAt);
        Assert.NotNull(next);
        Assert.True(next < now.AddMinutes(1), $"resumed at {next:O}: the old yearly schedule's due time");
    }

    [Fact]
    public async Task A_resume_with_a_stale_revision_changes_nothing_and_says_so()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        await store.SeedAsync(App, [Job("a", now.AddHours(1), "h1")], Ct);
        Assert.True(await store.PauseAsync(App, "a", Ct));
        var read = await RowAsync(store, "a");
        await store.SeedAsync(App, [Job("a", now.AddHours(2), "h2")], Ct);

        Assert.Equal(ResumeOutcome.RevisionChanged, await store.ResumeAsync(App, "a", now.AddMinutes(1), read.ScheduleRevision, Ct));
        var row = await RowAsync(store, "a");
        Assert.True(row.Paused);
        Assert.Equal(now.AddHours(2), row.NextDueAt);

        Assert.Equal(ResumeOutcome.Resumed, await store.ResumeAsync(App, "a", now.AddMinutes(1), row.ScheduleRevision, Ct));
        Assert.Equal(row.ScheduleRevision + 1, (await RowAsync(store, "a")).ScheduleRevision);
        Assert.Equal(ResumeOutcome.NotPaused, await store.ResumeAsync(App, "a", now.AddMinutes(2), null, Ct));
        Assert.Equal(ResumeOutcome.NotFound, await store.ResumeAsync(App, "nope", null, null, Ct));
    }

    [Fact]
    public async Task A_bad_definition_replaced_during_its_claim_is_released_not_marked_errored()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        await store.SeedAsync(App, [Job("a", now.AddSeconds(-1), "bad", timeZone: "Mars/Olympus"), Job("b", now.AddSeconds(-1), "bad", timeZone: "Mars/Olympus")], Ct);
        var claims = (await store.ClaimDueAsync(App, "n1", ["a", "b"], 2, LongLease, Ct)).Claimed;

        // The fixed release is seeded for 'a' between the claim (which read the bad zone) and the node's verdict.
        var fixedDue = now.AddMinutes(1);
        await store.SeedAsync(App, [Job("a", fixedDue, "fixed")], Ct);
        foreach (var claim in claims) await store.MarkErroredAsync(claim.Token, "unknown time zone 'Mars/Olympus'", claim.ScheduleRevision, Ct);

        var a = await RowAsync(store, "a");
        Assert.Null(a.Error);
        Assert.Null(a.OwnerNode);
        Assert.Null(a.LeaseUntil);
        Assert.Equal(fixedDue, a.NextDueAt);
        // The row that still holds the bad definition is marked.
        Assert.Equal("unknown time zone 'Mars/Olympus'", (await RowAsync(store, "b")).Error);
    }

    [Fact]
    public async Task A_manual_run_completing_after_a_redeploy_keeps_the_new_due_time_and_satisfies_the_trigger()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        await store.SeedAsync(App, [Job("a", now.AddHours(1), "release-1")], Ct);
        Assert.True(await store.TriggerAsync(App, "a", Ct));
        var claim = Assert.Single((await store.ClaimDueAsync(App, "n1", ["a"], 1, LongLease, Ct)).Claimed);
        Assert.True(claim.IsManualTrigger);

        var newDue = now.AddMinutes(30);
        await store.SeedAsync(App, [Job("a", newDue, "release-2", "*/30 * * * *")], Ct);
        Assert.True(await store.CompleteAsync(Manual(claim, now.AddHours(1)), Ct));

        var row = await RowAsync(store, "a");
        Assert.Equal(newDue, row.NextDueAt);
        Assert.Null(row.OwnerNode);
        Assert.Empty((await store.ClaimDueAsync(App, "n1", ["a"], 1, LongLease, Ct)).Claimed); // the trigger was satisfied
    }

    /// <summary>
    /// A store that runs one action right before the next <see cref="IJobStore.GetDatabaseTimeAsync"/> returns, and
    /// otherwise passes every call to the real store: an exact interleaving of a client's read-compute-write with
    /// another node's write, on the real database.
    /// </summary>
    public class SeedBeforeNextClockRead : DispatchProxy
    {
        private IJobStore _inner = null!;
        private Func<Task>? _action;

        internal static IJobStore Wrap(IJobStore inner, Func<Task> action)
        {
            var proxy = Create<IJobStore, SeedBeforeNextClockRead>();
            var hook = (SeedBeforeNextClockRead)(object)proxy;
            hook._inner = inner;
            hook._action = action;
            return proxy;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            ArgumentNullException.ThrowIfNull(targetMethod);
            if (targetMethod.Name == nameof(IJobStore.GetDatabaseTimeAsync) && Interlocked.Exchange(ref _action, null) is { } action)
            {
                return ActThenReadAsync(action, (CancellationToken)args![0]!);
            }

            try
            {
                return targetMethod.Invoke(_inner, args);
            }
            catch (TargetInvocationException ex) when (ex.InnerException is not null)
            {
                throw ex.InnerException;
            }
        }

        private async Task<DateTimeOffset> ActThenReadAsync(Func<Task> action, CancellationToken cancellationToken)
        {
            await action();
            return await _inner.GetDatabaseTimeAsync(cancellationToken);
        }
    }
}
