using DistCron.Storage;

namespace DistCron.Tests.Storage;

// The dashboard's run statistics: runs and failures per bucket of a recent window by the database clock, and a job's
// last runs. Runs are inserted with finish times relative to the database's now (InsertRunAsync), each well inside its
// bucket, so the few milliseconds between the insert and the read never move a run to another bucket.
public abstract partial class JobStoreConformance
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    /// <summary>Inserts one history row of <paramref name="job"/> finished <paramref name="finishedAgo"/> before the database's now (negative: after it).</summary>
    private protected abstract Task InsertRunAsync(IJobStore store, string app, string job, RunStatus status, TimeSpan finishedAgo, TimeSpan duration);

    private protected Task InsertRunAsync(IJobStore store, string job, RunStatus status, TimeSpan finishedAgo, TimeSpan? duration = null) =>
        InsertRunAsync(store, App, job, status, finishedAgo, duration ?? TimeSpan.FromSeconds(1));

    private static TimeSpan MinutesAgo(double minutes) => TimeSpan.FromMinutes(minutes);

    [Fact]
    public async Task Run_activity_counts_the_last_hours_runs_and_failures_per_minute_by_database_time()
    {
        var store = await NewStoreAsync();
        // Half a minute ago: the last bucket (59). Two successes, a failure and a timeout.
        await InsertRunAsync(store, "a", RunStatus.Succeeded, MinutesAgo(0.5));
        await InsertRunAsync(store, "b", RunStatus.Succeeded, MinutesAgo(0.5));
        await InsertRunAsync(store, "a", RunStatus.Failed, MinutesAgo(0.5));
        await InsertRunAsync(store, "b", RunStatus.TimedOut, MinutesAgo(0.5));
        await InsertRunAsync(store, "a", RunStatus.Succeeded, MinutesAgo(10.5)); // bucket 49
        await InsertRunAsync(store, "a", RunStatus.Failed, MinutesAgo(59.5)); // bucket 0
        // Not counted: skipped occurrences did not run; older than the hour; another app; after now.
        await InsertRunAsync(store, "a", RunStatus.Skipped, MinutesAgo(5.5));
        await InsertRunAsync(store, "a", RunStatus.Failed, MinutesAgo(60.5));
        await InsertRunAsync(store, "a", RunStatus.Succeeded, TimeSpan.FromHours(3));
        await InsertRunAsync(store, "other-app", "a", RunStatus.Failed, MinutesAgo(0.5), TimeSpan.FromSeconds(1));
        await InsertRunAsync(store, "a", RunStatus.Succeeded, MinutesAgo(-5));

        var before = await store.GetDatabaseTimeAsync(Ct);
        var activity = await store.GetRunActivityAsync(App, Minute, 60, Ct);
        var after = await store.GetDatabaseTimeAsync(Ct);

        Assert.InRange(activity.To, before, after); // the database's now, read by the same statement
        Assert.Equal(activity.To - TimeSpan.FromHours(1), activity.From);
        Assert.Equal(Minute, activity.BucketWidth);
        Assert.Equal(60, activity.Buckets.Count);
        for (var i = 0; i < 60; i++)
        {
            Assert.Equal(activity.From + (Minute * i), activity.Buckets[i].Start);
            Assert.Equal(activity.From + (Minute * (i + 1)), activity.Buckets[i].End);
        }

        var counted = activity.Buckets.Select((b, i) => (i, b.Runs, b.Failures)).Where(b => b.Runs > 0 || b.Failures > 0).ToList();
        Assert.Equal([(0, 1, 1), (49, 1, 0), (59, 4, 2)], counted);
        Assert.Equal(6, activity.Runs);
        Assert.Equal(3, activity.Failures);

        var other = await store.GetRunActivityAsync("other-app", Minute, 60, Ct);
        Assert.Equal((1, 1), (other.Runs, other.Failures));
    }

    [Fact]
    public async Task Run_activity_window_excludes_its_start_and_includes_now()
    {
        var store = await NewStoreAsync();
        // Exactly the window's length ago when inserted, so before the window's start when read: out.
        await InsertRunAsync(store, "a", RunStatus.Succeeded, TimeSpan.FromMinutes(60));
        // Two seconds inside the window: the first bucket.
        await InsertRunAsync(store, "a", RunStatus.Failed, TimeSpan.FromMinutes(60) - TimeSpan.FromSeconds(2));
        // Finished at now: the last bucket (buckets hold their end, not their start).
        await InsertRunAsync(store, "a", RunStatus.Succeeded, TimeSpan.Zero);

        var activity = await store.GetRunActivityAsync(App, Minute, 60, Ct);
        Assert.Equal((1, 1), (activity.Buckets[0].Runs, activity.Buckets[0].Failures));
        Assert.Equal((1, 0), (activity.Buckets[59].Runs, activity.Buckets[59].Failures));
        Assert.Equal(2, activity.Runs);
    }

    [Fact]
    public async Task Run_activity_takes_any_whole_second_bucket_width()
    {
        var store = await NewStoreAsync();
        var width = TimeSpan.FromSeconds(10);
        await InsertRunAsync(store, "a", RunStatus.Succeeded, TimeSpan.FromSeconds(25)); // bucket 0 of (now-30s, now]
        await InsertRunAsync(store, "a", RunStatus.Failed, TimeSpan.FromSeconds(15)); // bucket 1
        await InsertRunAsync(store, "a", RunStatus.Succeeded, TimeSpan.FromSeconds(5)); // bucket 2
        await InsertRunAsync(store, "a", RunStatus.Succeeded, TimeSpan.FromSeconds(5)); // bucket 2
        await InsertRunAsync(store, "a", RunStatus.Succeeded, TimeSpan.FromSeconds(35)); // before the window

        var activity = await store.GetRunActivityAsync(App, width, 3, Ct);
        Assert.Equal([(1, 0), (1, 1), (2, 0)], activity.Buckets.Select(b => (b.Runs, b.Failures)));
        Assert.Equal(activity.To - TimeSpan.FromSeconds(30), activity.From);
    }

    [Fact]
    public async Task Run_activity_of_an_app_without_runs_is_every_bucket_empty_at_the_database_time()
    {
        var store = await NewStoreAsync();
        var before = await store.GetDatabaseTimeAsync(Ct);
        var activity = await store.GetRunActivityAsync(App, Minute, 60, Ct);
        Assert.InRange(activity.To, before, await store.GetDatabaseTimeAsync(Ct));
        Assert.Equal(60, activity.Buckets.Count);
        Assert.All(activity.Buckets, b => Assert.Equal((0, 0), (b.Runs, b.Failures)));
    }

    [Fact]
    public async Task Recent_runs_are_a_jobs_last_runs_that_ran_newest_first()
    {
        var store = await NewStoreAsync();
        var huge = TimeSpan.FromDays(40); // longer than an int of milliseconds holds
        await InsertRunAsync(store, "a", RunStatus.Succeeded, MinutesAgo(500), TimeSpan.FromMilliseconds(100));
        await InsertRunAsync(store, "a", RunStatus.Failed, MinutesAgo(400), TimeSpan.FromMilliseconds(200));
        await InsertRunAsync(store, "a", RunStatus.TimedOut, MinutesAgo(300), huge);
        await InsertRunAsync(store, "a", RunStatus.Skipped, MinutesAgo(250), TimeSpan.Zero);
        await InsertRunAsync(store, "a", RunStatus.Succeeded, MinutesAgo(200), TimeSpan.FromMilliseconds(400));
        await InsertRunAsync(store, "b", RunStatus.Succeeded, MinutesAgo(100), TimeSpan.FromMilliseconds(999));
        await InsertRunAsync(store, "other-app", "a", RunStatus.Succeeded, MinutesAgo(100), TimeSpan.FromMilliseconds(999));
        var now = await NowAsync(store);

        var last3 = await store.GetRecentRunsAsync(App, "a", 3, Ct);
        Assert.Equal([(RunStatus.Succeeded, 400d), (RunStatus.TimedOut, huge.TotalMilliseconds), (RunStatus.Failed, 200d)],
            last3.Select(r => (r.Status, r.Duration.TotalMilliseconds)));
        Assert.True(last3[0].Id > last3[1].Id && last3[1].Id > last3[2].Id);
        Assert.InRange(last3[0].FinishedAt, now - MinutesAgo(201), now - MinutesAgo(199));
        Assert.True(last3[1].IsFailure && last3[2].IsFailure && !last3[0].IsFailure);

        Assert.Equal(4, (await store.GetRecentRunsAsync(App, "a", 100, Ct)).Count);
        Assert.Empty(await store.GetRecentRunsAsync(App, "never-ran", 100, Ct));
    }

    [Fact]
    public async Task Run_statistics_reject_bad_arguments_before_touching_the_database()
    {
        var store = await NewStoreAsync();
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => store.GetRunActivityAsync(App, TimeSpan.Zero, 60, Ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => store.GetRunActivityAsync(App, TimeSpan.FromMilliseconds(1500), 60, Ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => store.GetRunActivityAsync(App, Minute, 0, Ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => store.GetRunActivityAsync(App, Minute, StoreRules.MaxActivityBuckets + 1, Ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => store.GetRunActivityAsync(App, TimeSpan.FromDays(1), 32, Ct));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => store.GetRunActivityAsync("", Minute, 60, Ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => store.GetRecentRunsAsync(App, "a", 0, Ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => store.GetRecentRunsAsync(App, "a", HistoryQuery.MaxLimit + 1, Ct));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => store.GetRecentRunsAsync(App, "", 10, Ct));
    }
}
