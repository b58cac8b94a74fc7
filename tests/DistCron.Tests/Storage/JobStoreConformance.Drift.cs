using DistCron.Storage;

namespace DistCron.Tests.Storage;

/// <summary>
/// Contract rules the two stores once applied differently: what <c>last_error</c> shows, when
/// <c>claimed_at</c> is cleared, which app names are accepted, and how error text is cleaned and capped.
/// </summary>
public abstract partial class JobStoreConformance
{
    /// <summary>Whether the row's <c>claimed_at</c> column (not part of <see cref="JobRow"/>) holds a value.</summary>
    private protected abstract Task<bool> ClaimedAtIsSetAsync(IJobStore store, string jobName);

    /// <summary>The row's <c>updated_at</c> column (not part of <see cref="JobRow"/>).</summary>
    private protected abstract Task<DateTimeOffset> UpdatedAtAsync(IJobStore store, string jobName);

    // The production claim shape: every due job of the app, no name list.
    private static async Task<ClaimedJob> ClaimOneAsync(IJobStore store, string jobName)
    {
        var batch = await store.ClaimDueAsync(new ClaimRequest(App, "n1", 10, LongLease), Ct);
        return Assert.Single(batch.Claimed, c => c.Token.JobName == jobName);
    }

    [Theory]
    [InlineData("disk full", "disk full")]
    [InlineData(null, "System.IO.IOException")]
    [InlineData("", "System.IO.IOException")]
    [InlineData("  \n", "System.IO.IOException")]
    public async Task Last_error_is_the_message_or_else_the_error_type(string? message, string expected)
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        await store.SeedAsync(App, [Job("a", now.AddSeconds(-1))], Ct);
        var claim = await ClaimOneAsync(store, "a");

        Assert.True(await store.CompleteAsync(Done(claim, now.AddHours(1), RunStatus.Failed, nextAttempt: 2,
            errorType: "System.IO.IOException", errorMessage: message), Ct));

        Assert.Equal(expected, (await RowAsync(store, "a")).LastError);
        var run = Assert.Single(await store.GetHistoryAsync(App, "a", 1, Ct));
        Assert.Equal("System.IO.IOException", run.ErrorType);
        Assert.Equal(message, run.ErrorMessage); // the history keeps the message as given
    }

    [Fact]
    public async Task Claimed_at_is_set_by_a_claim_and_cleared_by_completion_release_and_mark_errored()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        await store.SeedAsync(App, [Job("a", now.AddSeconds(-1))], Ct);

        var claim = await ClaimOneAsync(store, "a");
        Assert.True(await ClaimedAtIsSetAsync(store, "a"));
        Assert.True(await store.CompleteAsync(Done(claim, now.AddSeconds(-1)), Ct));
        Assert.False(await ClaimedAtIsSetAsync(store, "a"), "after completion");

        claim = await ClaimOneAsync(store, "a");
        Assert.True(await ClaimedAtIsSetAsync(store, "a"));
        Assert.True(await store.ReleaseAsync(claim.Token, Ct));
        Assert.False(await ClaimedAtIsSetAsync(store, "a"), "after release");

        claim = await ClaimOneAsync(store, "a");
        Assert.True(await ClaimedAtIsSetAsync(store, "a"));
        await store.MarkErroredAsync(claim.Token, "bad schedule", Ct);
        Assert.Equal("bad schedule", (await RowAsync(store, "a")).Error);
        Assert.False(await ClaimedAtIsSetAsync(store, "a"), "after mark errored");
    }

    public static TheoryData<string?> InvalidAppNames => new()
    {
        null,
        "",
        "two words",
        "app\n", // '$' would have let this through; the pattern is anchored with \z
        "app;drop",
        "é",
        new string('a', 101),
    };

    [Theory]
    [MemberData(nameof(InvalidAppNames))]
    public async Task Every_method_taking_an_app_name_rejects_an_invalid_one_before_touching_the_database(string? app)
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        var bad = app!;
        var calls = new (string Method, Func<Task> Call)[]
        {
            ("SeedAsync", () => store.SeedAsync(bad, [Job("a", now)], Ct)),
            ("RegisterNodeAsync", () => store.RegisterNodeAsync(new NodeInfo(bad, "n1", "host", 1, ["a"]), TimeSpan.FromMinutes(1), Ct)),
            ("UnregisterNodeAsync", () => store.UnregisterNodeAsync(bad, "n1", Ct)),
            ("ClaimDueAsync", () => store.ClaimDueAsync(new ClaimRequest(bad, "n1", 1, LongLease), Ct)),
            ("ListJobsAsync", () => store.ListJobsAsync(bad, Ct)),
            ("GetHistoryAsync", () => store.GetHistoryAsync(bad, "a", 10, Ct)),
            ("QueryHistoryAsync", () => store.QueryHistoryAsync(bad, null, new HistoryQuery(), Ct)),
            ("PauseAsync", () => store.PauseAsync(bad, "a", Ct)),
            ("ResumeAsync", () => store.ResumeAsync(bad, "a", null, null, Ct)),
            ("TriggerAsync", () => store.TriggerAsync(bad, "a", Ct)),
            ("PruneHistoryAsync", () => store.PruneHistoryAsync(bad, TimeSpan.FromDays(1), null, 100, Ct)),
            ("ListNodesAsync", () => store.ListNodesAsync(bad, Ct)),
            ("WaitForSignalAsync", () => store.WaitForSignalAsync(bad, TimeSpan.Zero, Ct)),
        };

        foreach (var (method, call) in calls)
        {
            var error = await Record.ExceptionAsync(call);
            Assert.True(error is ArgumentException, $"{method} accepted the app name {Show(app)} ({error?.GetType().Name ?? "no error"})");
            Assert.Contains("application name", error!.Message, StringComparison.Ordinal);
        }

        Assert.Empty(await store.ListNodesAsync(App, Ct)); // nothing was written under any name
    }

    private static string Show(string? value) => value is null ? "(null)" : System.Text.Json.JsonSerializer.Serialize(value);

    [Fact]
    public async Task Error_text_is_cleaned_and_capped_by_the_same_rule_on_every_store()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        await store.SeedAsync(App, [Job("a", now.AddSeconds(-1)), Job("b", now.AddSeconds(-1))], Ct);
        var claims = (await store.ClaimDueAsync(new ClaimRequest(App, "n1", 10, LongLease), Ct)).Claimed
            .ToDictionary(c => c.Token.JobName);

        // 10 kB of text with a NUL, a lone high and a lone low surrogate, and a valid pair (an emoji), which is kept.
        const string Head = "a\0b\uD800c\uDC00 \uD83D\uDE00 ";
        const string CleanHead = "a\uFFFDb\uFFFDc\uFFFD \uD83D\uDE00 ";
        var message = Head + new string('x', 10_000 - Head.Length);
        var expected = CleanHead + new string('x', 1999 - CleanHead.Length) + "…";
        var type = "Bad\0Type" + new string('T', 1_000);
        var expectedType = "Bad\uFFFDType" + new string('T', 499 - "Bad\uFFFDType".Length) + "…";

        Assert.True(await store.CompleteAsync(Done(claims["a"], now.AddHours(1), RunStatus.Failed, nextAttempt: 2,
            errorType: type, errorMessage: message), Ct));
        await store.MarkErroredAsync(claims["b"].Token, message, Ct);

        var run = Assert.Single(await store.GetHistoryAsync(App, "a", 1, Ct));
        Assert.Equal(expected, run.ErrorMessage);
        Assert.Equal(expectedType, run.ErrorType);
        Assert.Equal(expected, (await RowAsync(store, "a")).LastError);
        Assert.Equal(expected, (await RowAsync(store, "b")).Error);
    }

    // SQLite moved updated_at on every claim, heartbeat and release; PostgreSQL on none of them.
    [Fact]
    public async Task Lease_traffic_leaves_updated_at_alone_and_a_completion_moves_it()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        await store.SeedAsync(App, [Job("a", now.AddSeconds(-1))], Ct);
        var seeded = await UpdatedAtAsync(store, "a");
        await DatabaseTimePassesAsync(store, seeded.AddMilliseconds(5));

        var claim = await ClaimOneAsync(store, "a");
        Assert.True(await store.HeartbeatAsync(claim.Token, LongLease, Ct));
        Assert.True(await store.ReleaseAsync(claim.Token, Ct));
        Assert.Equal(seeded, await UpdatedAtAsync(store, "a"));

        claim = await ClaimOneAsync(store, "a");
        Assert.True(await store.CompleteAsync(Done(claim, now.AddHours(1)), Ct));
        Assert.True(await UpdatedAtAsync(store, "a") > seeded);
    }

    // PostgreSQL's mark-errored NOTIFYs; SQLite's signalled nothing, so an in-process node waited out its poll.
    [Fact]
    public async Task Marking_a_claim_errored_wakes_a_waiter()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        // A listener may take a moment to subscribe, so each round marks a fresh claim errored until one wakes the waiter.
        for (var round = 0; round < 20; round++)
        {
            var name = $"bad{round}";
            await store.SeedAsync(App, [Job(name, now.AddSeconds(-1))], Ct);
            var claim = await ClaimOneAsync(store, name);
            while (await store.WaitForSignalAsync(App, TimeSpan.FromMilliseconds(300), Ct))
            {
                // drain the seed's signal and the listener's connect wake-up
            }

            var wait = store.WaitForSignalAsync(App, TimeSpan.FromMinutes(10), Ct);
            await store.MarkErroredAsync(claim.Token, "bad schedule", Ct);
            if (await Task.WhenAny(wait, Task.Delay(TimeSpan.FromSeconds(2))) == wait)
            {
                Assert.True(await wait);
                return;
            }
        }

        Assert.Fail("marking a claim errored never woke the waiter");
    }

    // PostgreSQL rejected a duplicate name in one seed batch; SQLite let the last one win.
    [Fact]
    public async Task A_seed_batch_naming_a_job_twice_is_rejected_before_any_write()
    {
        var store = await NewStoreAsync();
        var now = await NowAsync(store);
        var error = await Assert.ThrowsAsync<ArgumentException>(() =>
            store.SeedAsync(App, [Job("a", now.AddHours(1)), Job("b", now.AddHours(1)), Job("a", now.AddHours(2), hash: "h2")], Ct));
        Assert.Contains("'a' more than once", error.Message);
        Assert.Empty(await store.ListJobsAsync(App, Ct));
    }
}
