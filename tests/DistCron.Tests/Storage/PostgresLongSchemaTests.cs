using System.Text;
using DistCron.Storage;
using DistCron.Storage.Postgres;
using DistCron.Tests.Infrastructure;
using Npgsql;

namespace DistCron.Tests.Storage;

/// <summary>
/// Schema names up to PostgreSQL's 63-byte limit are valid, so the NOTIFY channel derived from one must fit too:
/// <c>"distcron_" + schema</c> is over 63 bytes from 55 characters on, and every pg_notify then
/// failed with 22023, which failed the seed (start-up retried forever), trigger, pause and resume.
/// </summary>
public sealed class PostgresLongSchemaTests
{
    private const string App = "long-schema";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);
    private static CancellationToken Ct => CancellationToken.None;

    [Fact]
    public void Every_valid_schema_length_gets_a_channel_that_fits_and_is_a_plain_identifier()
    {
        for (var length = 1; length <= 63; length++)
        {
            var schema = new string('s', length);
            var channel = SqlNames.NotifyChannel(schema);
            Assert.True(Encoding.UTF8.GetByteCount(channel) <= 63, $"{length}: '{channel}' is over 63 bytes");
            Assert.Matches(@"\A[a-z_][a-z0-9_]*\z", channel);
            Assert.Equal(channel, SqlNames.NotifyChannel(new string('s', length))); // every node derives the same name
        }
    }

    [Fact]
    public void Short_schemas_keep_their_channel_and_long_schemas_sharing_a_prefix_get_different_ones()
    {
        // Unchanged where it fitted: nodes of an older release on the same schema keep hearing each other.
        Assert.Equal("distcron_distcron", SqlNames.NotifyChannel("distcron"));
        Assert.Equal("distcron_" + new string('x', 54), SqlNames.NotifyChannel(new string('x', 54)));

        var first = SqlNames.NotifyChannel(new string('x', 62) + "a");
        var second = SqlNames.NotifyChannel(new string('x', 62) + "b");
        Assert.NotEqual(first, second);
        Assert.Equal(63, first.Length);
    }

    [Fact]
    public async Task A_store_on_a_63_character_schema_seeds_triggers_pauses_resumes_and_wakes_listeners()
    {
        var server = await PostgresServer.SharedAsync();
        var connectionString = await server.CreateDatabaseAsync("longschema");
        var schema = "s" + new string('x', 61) + "9";
        Assert.Equal(63, schema.Length);
        await using var writerSource = NpgsqlDataSource.Create(connectionString);
        await using var waiterSource = NpgsqlDataSource.Create(connectionString);
        await using var writer = new PostgresJobStore(writerSource, schema);
        await using var waiter = new PostgresJobStore(waiterSource, schema);
        await writer.MigrateAsync(Ct);

        Assert.True(await waiter.WaitForSignalAsync(App, Deadline, Ct)); // listening (a connect wakes once)
        Assert.True(waiter.IsListening);
        while (await waiter.WaitForSignalAsync(App, TimeSpan.Zero, Ct)) { } // drain

        async Task AssertWakesAsync(Func<Task> write, string what)
        {
            var wait = waiter.WaitForSignalAsync(App, TimeSpan.FromMinutes(10), Ct);
            Assert.False(wait.IsCompleted, $"already signalled before: {what}");
            await write();
            Assert.True(wait == await Task.WhenAny(wait, Task.Delay(Deadline)), $"no wake-up after {what}");
            Assert.True(await wait);
            while (await waiter.WaitForSignalAsync(App, TimeSpan.Zero, Ct)) { }
        }

        var now = await writer.GetDatabaseTimeAsync(Ct);
        await AssertWakesAsync(() => writer.SeedAsync(App, [new SeedJob("a", "* * * * *", "UTC", "h1", now.AddHours(1))], Ct), "seed");
        await AssertWakesAsync(async () => Assert.True(await writer.TriggerAsync(App, "a", Ct)), "trigger");
        await AssertWakesAsync(async () => Assert.True(await writer.PauseAsync(App, "a", Ct)), "pause");
        await AssertWakesAsync(async () => Assert.True(await writer.ResumeAsync(App, "a", null, Ct)), "resume");

        var row = Assert.Single(await writer.ListJobsAsync(App, Ct));
        Assert.False(row.Paused);
        var claim = Assert.Single((await writer.ClaimDueAsync(App, "n", ["a"], 1, TimeSpan.FromMinutes(5), Ct)).Claimed);
        Assert.True(claim.IsManualTrigger);
    }
}
