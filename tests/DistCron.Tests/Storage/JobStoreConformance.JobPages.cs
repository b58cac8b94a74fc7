using DistCron.Storage;

namespace DistCron.Tests.Storage;

// One page of jobs (search, state filter, sort, keyset cursor) and the per-state counts the dashboard reads instead of
// every row. The oracle is the whole list (ListJobsAsync, in the database's name order) filtered and sorted in memory:
// every combination, walked page by page, must give exactly the oracle's rows in its order.
public abstract partial class JobStoreConformance
{
    private static readonly TimeSpan Grace = TimeSpan.FromMinutes(1);

    /// <summary>Jobs in every state, with tied and missing sort keys, and names holding the cursor's separator and LIKE wildcards.</summary>
    private async Task<(IJobStore Store, DateTimeOffset Now)> JobsInEveryStateAsync()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        var later = now.AddHours(1);
        await store.SeedAsync(App, [
            Job("alpha-running", now.AddMinutes(-10)),
            Job("beta-overdue", now.AddMinutes(-10)),
            Job("gamma-due-within-grace", now.AddSeconds(-5)),
            Job("delta-paused", now.AddMinutes(-10)),
            Job("epsilon-failing", now.AddMinutes(-10)),
            Job("zeta-errored", now.AddMinutes(-10)),
            Job("eta-orphaned", later),
            Job("theta-tied", later),
            Job("iota-tied", later),
            Job("kappa:colon", later),
            Job("lambda_under%", later),
            Job("mu-ended", null),
            Job("nu-ended", null),
            Job("xi-succeeded", now.AddMinutes(-10)),
            Job("omicron-disabled", null, "h1-disabled") with { Disabled = true },
        ], Ct);
        await store.SeedAsync("other-app", [Job("alpha-running", now.AddMinutes(-10))], Ct);

        var failing = Assert.Single((await store.ClaimDueAsync(App, "runner", ["epsilon-failing"], 1, LongLease, Ct)).Claimed);
        Assert.True(await store.CompleteAsync(Done(failing, later, RunStatus.Failed, errorType: "Boom", errorMessage: "boom"), Ct));
        var succeeded = Assert.Single((await store.ClaimDueAsync(App, "runner", ["xi-succeeded"], 1, LongLease, Ct)).Claimed);
        Assert.True(await store.CompleteAsync(Done(succeeded, later) with { Duration = TimeSpan.FromSeconds(9) }, Ct));
        var errored = Assert.Single((await store.ClaimDueAsync(App, "runner", ["zeta-errored"], 1, LongLease, Ct)).Claimed);
        await store.MarkErroredAsync(errored.Token, "bad schedule", Ct);
        Assert.Single((await store.ClaimDueAsync(App, "runner", ["alpha-running"], 1, LongLease, Ct)).Claimed);
        Assert.True(await store.PauseAsync(App, "delta-paused", Ct));
        var all = (await store.ListJobsAsync(App, Ct)).Select(j => j.Name).Where(n => n != "eta-orphaned").ToList();
        await store.RegisterNodeAsync(new NodeInfo(App, "node-1", "host", 1, all), TimeSpan.FromMinutes(5), Ct);
        Assert.True((await RowAsync(store, "eta-orphaned")).Orphaned);
        return (store, await NowAsync(store));
    }

    private static bool InState(JobRow job, JobState state, DateTimeOffset now) => state switch
    {
        JobState.Running => job.OwnerNode is not null && job.LeaseUntil > now,
        JobState.Overdue => job.Error is null && !job.Paused && !job.Disabled && !(job.OwnerNode is not null && job.LeaseUntil > now)
            && job.NextDueAt is { } due && now - due > Grace,
        JobState.Errored => job.Error is not null,
        JobState.Failing => job.LastStatus is RunStatus.Failed or RunStatus.TimedOut,
        JobState.Paused => job.Paused,
        JobState.Orphaned => job.Orphaned,
        JobState.Disabled => job.Disabled,
        _ => throw new ArgumentOutOfRangeException(nameof(state)),
    };

    private static IEnumerable<JobRow> Sorted(IEnumerable<JobRow> byName, JobSort sort) => sort switch
    {
        // OrderBy is stable: ties keep the database's name order, the stores' tie-break.
        JobSort.NextDue => byName.OrderBy(j => j.NextDueAt is null).ThenBy(j => j.NextDueAt),
        JobSort.LastFinished => byName.OrderBy(j => j.LastFinishedAt is null).ThenByDescending(j => j.LastFinishedAt),
        JobSort.LastDuration => byName.OrderBy(j => j.LastDuration is null).ThenByDescending(j => j.LastDuration),
        _ => byName,
    };

    private static async Task<List<string>> WalkAsync(IJobStore store, JobPageQuery query)
    {
        var names = new List<string>();
        for (var pages = 0; ; pages++)
        {
            Assert.True(pages < 50, "the cursor must move forward");
            var page = await store.QueryJobsAsync(App, query with { OverdueAfter = Grace }, Ct);
            Assert.True(page.Jobs.Count <= query.Limit);
            names.AddRange(page.Jobs.Select(j => j.Name));
            if (page.Next is null) return names;
            Assert.Equal(query.Limit, page.Jobs.Count);
            query = query with { After = page.Next };
        }
    }

    [Fact]
    public async Task Job_pages_give_exactly_the_filtered_sorted_jobs_for_every_search_state_and_sort()
    {
        var (store, now) = await JobsInEveryStateAsync();
        var byName = await store.ListJobsAsync(App, Ct);
        JobState?[] states = [null, .. Enum.GetValues<JobState>()];
        string?[] searches = [null, "", "TIED", "_", "%", ":", "a-r", "no-such-job"];

        foreach (var state in states)
        {
            // Every state is inhabited, so a filter that matched nothing would be caught.
            if (state is { } s) Assert.Contains(byName, j => InState(j, s, now));
            foreach (var search in searches)
            {
                foreach (var sort in Enum.GetValues<JobSort>())
                {
                    var expected = Sorted(byName.Where(j => state is not { } st || InState(j, st, now))
                        .Where(j => string.IsNullOrEmpty(search) || j.Name.Contains(search, StringComparison.OrdinalIgnoreCase)), sort)
                        .Select(j => j.Name).ToList();
                    foreach (var limit in new[] { 1, 3, 1000 })
                    {
                        var actual = await WalkAsync(store, new JobPageQuery(limit, search, state, sort));
                        Assert.True(expected.SequenceEqual(actual),
                            $"state {state}, search '{search}', sort {sort}, limit {limit}: expected [{string.Join(", ", expected)}], got [{string.Join(", ", actual)}]");
                    }
                }
            }
        }
    }

    [Fact]
    public async Task Job_counts_match_the_rows_in_each_state_in_this_app_only()
    {
        var (store, now) = await JobsInEveryStateAsync();
        var rows = await store.ListJobsAsync(App, Ct);

        var counts = await store.CountJobsAsync(App, Grace, null, Ct);

        Assert.Equal(rows.Count, counts.All);
        foreach (var state in Enum.GetValues<JobState>()) Assert.Equal(rows.Count(j => InState(j, state, now)), counts.Of(state));
        var searched = await store.CountJobsAsync(App, Grace, "ED", Ct);
        var matching = rows.Where(j => j.Name.Contains("ed", StringComparison.Ordinal)).ToList();
        Assert.Equal(matching.Count, searched.All);
        foreach (var state in Enum.GetValues<JobState>()) Assert.Equal(matching.Count(j => InState(j, state, now)), searched.Of(state));
        Assert.Equal(new JobCounts(1, 0, 1, 0, 0, 0, 0, 0), await store.CountJobsAsync("other-app", Grace, null, Ct));
        Assert.Equal(new JobCounts(0, 0, 0, 0, 0, 0, 0, 0), await store.CountJobsAsync("no-such-app", Grace, "", Ct));
    }

    [Fact]
    public async Task Get_job_reads_one_row_by_its_exact_name_in_this_app_only()
    {
        var (store, _) = await JobsInEveryStateAsync();

        foreach (var row in await store.ListJobsAsync(App, Ct)) Assert.Equal(row, await store.GetJobAsync(App, row.Name, Ct));
        Assert.Null(await store.GetJobAsync(App, "ALPHA-RUNNING", Ct));
        Assert.Null(await store.GetJobAsync(App, "alpha", Ct));
        Assert.Null(await store.GetJobAsync("no-such-app", "alpha-running", Ct));
        Assert.Equal(await RowAsync(store, "alpha-running", "other-app"), await store.GetJobAsync("other-app", "alpha-running", Ct));
    }

    [Fact]
    public async Task A_job_page_refuses_a_cursor_of_another_sort_and_a_limit_out_of_range()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        await store.SeedAsync(App, [Job("a", now.AddHours(1)), Job("b", now.AddHours(1))], Ct);
        var next = (await store.QueryJobsAsync(App, new JobPageQuery(1, Sort: JobSort.NextDue), Ct)).Next;
        Assert.NotNull(next);

        var wrongSort = await Assert.ThrowsAsync<ArgumentException>(() => store.QueryJobsAsync(App, new JobPageQuery(1, Sort: JobSort.Name, After: next), Ct));
        Assert.Contains("same sort", wrongSort.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentException>(() => store.QueryJobsAsync(App, new JobPageQuery(1, After: "garbage"), Ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => store.QueryJobsAsync(App, new JobPageQuery(0), Ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => store.QueryJobsAsync(App, new JobPageQuery(JobPageQuery.MaxLimit + 1), Ct));
    }
}
