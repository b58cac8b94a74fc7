using DistCron.Scheduling;
using DistCron.Storage;

namespace DistCron.Tests.Storage;

/// <summary>
/// Conformance of a redeploy's seed against the old release's runs (chaos audit, rolling deploys): a node reads the
/// database time at start and writes its seed a round trip (on a loaded machine, seconds) later. A new definition's
/// due time computed from that read named an occurrence the old release ran in between, or was running (claimed ahead
/// of its instant): the occurrence ran twice, once per definition. The store now computes the due time under its row
/// locks. Each test hands the seed the due time a stale start-up read gives (NextDueAt, what the seed wrote before)
/// together with the schedule (FirstDueAfter): a store that writes the precomputed due fails.
/// </summary>
public abstract partial class JobStoreConformance
{
    private const string EverySecondSchedule = "* * * * * *";

    // What NodeLoop.BuildSeed sends: the due time from its start-up clock read, and the schedule to compute it again.
    private static SeedJob Release(string name, string hash, DateTimeOffset staleDue)
    {
        var schedule = ScheduleResolver.Resolve(EverySecondSchedule, "UTC", name).Schedule!;
        return Job(name, staleDue, hash, EverySecondSchedule) with { FirstDueAfter = after => RunRules.FirstDue(schedule, after).DueAt };
    }

    private static DateTimeOffset WholeSecond(DateTimeOffset t) => new(t.UtcTicks - t.UtcTicks % TimeSpan.TicksPerSecond, TimeSpan.Zero);

    [Fact]
    public async Task A_redeploy_seed_written_after_the_old_release_ran_an_occurrence_does_not_schedule_it_again()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        var occurrence = WholeSecond(now); // already due
        await store.SeedAsync(App, [Job("a", occurrence, "release-1", EverySecondSchedule)], Ct);

        // The new release's node read the clock just before the occurrence: its first due is the occurrence.
        var stale = Release("a", "release-2", occurrence);

        // Before its seed lands, the old release runs that occurrence and records it.
        var claim = Assert.Single((await store.ClaimDueAsync(App, "old-node", ["a"], 1, LongLease, Ct)).Claimed);
        Assert.Equal(occurrence, claim.OccurrenceAt);
        Assert.True(await store.CompleteAsync(Done(claim, occurrence.AddSeconds(1)), Ct));

        await store.SeedAsync(App, [stale], Ct);

        var row = await RowAsync(store, "a");
        Assert.Equal(EverySecondSchedule, row.Schedule);
        Assert.Equal("release-2", row.DefinitionHash);
        Assert.True(row.NextDueAt > occurrence, $"the seed scheduled {row.NextDueAt:O}, which already ran at {occurrence:O}");
        Assert.Equal(row.NextDueAt, row.OccurrenceAt);
        Assert.Equal(1, row.Attempt);

        // The occurrence that ran is never claimed again.
        await DatabaseTimePassesAsync(store, row.NextDueAt!.Value);
        var next = Assert.Single((await store.ClaimDueAsync(App, "new-node", ["a"], 1, LongLease, Ct)).Claimed);
        Assert.True(next.OccurrenceAt > occurrence);
        Assert.Single(await store.GetHistoryAsync(App, "a", 10, Ct));
    }

    [Fact]
    public async Task A_redeploy_seed_never_gives_a_new_definition_the_occurrence_a_node_claimed_ahead()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        var occurrence = WholeSecond(now).AddSeconds(3); // in the future: claimed ahead of its instant
        await store.SeedAsync(App, [Job("a", occurrence, "release-1", EverySecondSchedule)], Ct);
        var claim = Assert.Single((await store.ClaimDueAsync(
            new ClaimRequest(App, "old-node", 1, LongLease) { Ahead = TimeSpan.FromMinutes(1) }, ["a"], Ct)).Claimed);
        Assert.Equal(occurrence, claim.OccurrenceAt);

        // The start-up read named the claimed occurrence (any clock read before it is at or before it): the new
        // definition must start after the occurrence in flight.
        await store.SeedAsync(App, [Release("a", "release-2", occurrence)], Ct);

        var row = await RowAsync(store, "a");
        Assert.Equal("release-2", row.DefinitionHash);
        Assert.Equal(occurrence.AddSeconds(1), row.NextDueAt);
        Assert.Equal(occurrence.AddSeconds(1), row.OccurrenceAt);

        // The old release runs its claimed occurrence; its completion leaves the new schedule in charge.
        Assert.True(await store.CompleteAsync(Done(claim, occurrence.AddSeconds(1)), Ct));
        var next = Assert.Single((await store.ClaimDueAsync(
            new ClaimRequest(App, "new-node", 1, LongLease) { Ahead = TimeSpan.FromMinutes(1) }, ["a"], Ct)).Claimed);
        Assert.Equal(occurrence.AddSeconds(1), next.OccurrenceAt);
    }

    [Fact]
    public async Task A_redeploy_seed_during_a_manual_run_does_not_wait_for_the_old_schedules_next_occurrence()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        var nextYear = NextFirstOfJanuary(now);
        await store.SeedAsync(App, [Job("a", nextYear, "release-1", Yearly)], Ct);
        Assert.True(await store.TriggerAsync(App, "a", Ct));
        var claim = Assert.Single((await store.ClaimDueAsync(App, "old-node", ["a"], 1, LongLease, Ct)).Claimed);
        Assert.True(claim.IsManualTrigger); // the run in flight is the trigger, not the row's occurrence next January

        await store.SeedAsync(App, [Release("a", "release-2", nextYear)], Ct);
        var after = await NowAsync(store);

        var row = await RowAsync(store, "a");
        Assert.True(row.NextDueAt > now && row.NextDueAt <= WholeSecond(after).AddSeconds(1), $"{row.NextDueAt:O} is not the next second");
    }

    // The chaos long mode's lost slot: the row's next scheduled occurrence is seconds after the trigger's claim, so
    // no window between the claim and the due time tells a manual run from a scheduled one. The claim records it.
    [Fact]
    public async Task A_redeploy_seed_during_a_manual_run_of_an_every_second_job_starts_the_new_schedule_at_once()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        var nextScheduled = WholeSecond(now).AddSeconds(5);
        await store.SeedAsync(App, [Job("a", nextScheduled, "release-1", EverySecondSchedule)], Ct);
        Assert.True(await store.TriggerAsync(App, "a", Ct));
        var claim = Assert.Single((await store.ClaimDueAsync(App, "old-node", ["a"], 1, LongLease, Ct)).Claimed);
        Assert.True(claim.IsManualTrigger);

        await store.SeedAsync(App, [Release("a", "release-2", nextScheduled)], Ct);
        var after = await NowAsync(store);

        var row = await RowAsync(store, "a");
        Assert.Equal("release-2", row.DefinitionHash);
        Assert.True(row.NextDueAt <= WholeSecond(after).AddSeconds(1),
            $"the new schedule starts at {row.NextDueAt:O}, after the old schedule's next occurrence {nextScheduled:O}, as if that were in flight");

        // The manual run's completion leaves the new schedule's due time alone.
        Assert.True(await store.CompleteAsync(Done(claim, nextScheduled.AddSeconds(1)), Ct));
        Assert.Equal(row.NextDueAt, (await RowAsync(store, "a")).NextDueAt);
    }

    // A scheduled claim's occurrence is in flight whatever the claim kind of the claims before it on the row.
    [Fact]
    public async Task A_scheduled_claim_after_a_manual_run_is_in_flight_again_for_a_redeploy_seed()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        var nextScheduled = WholeSecond(now).AddSeconds(3);
        await store.SeedAsync(App, [Job("a", nextScheduled, "release-1", EverySecondSchedule)], Ct);
        Assert.True(await store.TriggerAsync(App, "a", Ct));
        var manual = Assert.Single((await store.ClaimDueAsync(App, "old-node", ["a"], 1, LongLease, Ct)).Claimed);
        Assert.True(manual.IsManualTrigger);
        Assert.True(await store.CompleteAsync(Done(manual, nextScheduled), Ct));

        var scheduled = Assert.Single((await store.ClaimDueAsync(
            new ClaimRequest(App, "old-node", 1, LongLease) { Ahead = TimeSpan.FromMinutes(1) }, ["a"], Ct)).Claimed);
        Assert.False(scheduled.IsManualTrigger);
        Assert.Equal(nextScheduled, scheduled.OccurrenceAt);

        await store.SeedAsync(App, [Release("a", "release-2", nextScheduled)], Ct);
        Assert.Equal(nextScheduled.AddSeconds(1), (await RowAsync(store, "a")).NextDueAt);
    }

    [Fact]
    public async Task A_redeploy_seed_computes_a_new_row_and_an_unclaimed_changed_row_from_the_database_clock()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        var farFuture = now.AddDays(30);
        await store.SeedAsync(App, [Job("changed", farFuture, "release-1", EverySecondSchedule), Job("same", farFuture, "release-2", EverySecondSchedule)], Ct);

        // A stale due in the past is not what is written: the first occurrence after the clock under the locks is.
        var stale = now.AddMinutes(-10);
        await store.SeedAsync(App, [Release("changed", "release-2", stale), Release("fresh", "release-2", stale), Release("same", "release-2", stale)], Ct);
        var after = await NowAsync(store);

        foreach (var name in new[] { "changed", "fresh" })
        {
            var row = await RowAsync(store, name);
            Assert.True(row.NextDueAt > now && row.NextDueAt <= WholeSecond(after).AddSeconds(1), $"{name}: {row.NextDueAt:O} not after {now:O}");
        }

        Assert.Equal(Ms(farFuture), (await RowAsync(store, "same")).NextDueAt); // unchanged definition: due kept
    }
}
