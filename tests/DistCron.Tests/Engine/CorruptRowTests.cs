using System.Collections.Concurrent;
using DistCron.Storage;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace DistCron.Tests.Engine;

/// <summary>
/// Rows anyone with database access may have damaged: each bad value is written into a due job's row with SQL, a real
/// node runs, and the job must end marked errored with a message naming the value, with no lease left held, while the
/// app's other jobs keep running. Before, most of these threw from the runner after the claim (logged as a store
/// outage): the row stayed claimed until its lease expired and was claimed again every lease, forever.
/// </summary>
public abstract class CorruptRowTests : EngineTestBase
{
    /// <summary>One kind of damage: the SET clause per dialect (null: the schema cannot hold it) and the error expected.</summary>
    public sealed record Damage(string? Postgres, string? Sqlite, string Error);

    // SQLite holds times as unix milliseconds: -62135596800000 is 0001-01-01 (what -infinity reads as on PostgreSQL),
    // 253402300799999 the last millisecond of 9999.
    private static readonly Dictionary<string, Damage> Damages = new()
    {
        ["zone is the directory Europe"] = new("time_zone = 'Europe'", "time_zone = 'Europe'", "unknown time zone 'Europe'"),
        ["zone is the directory America"] = new("time_zone = 'America'", "time_zone = 'America'", "unknown time zone 'America'"),
        ["zone is the directory Etc"] = new("time_zone = 'Etc'", "time_zone = 'Etc'", "unknown time zone 'Etc'"),
        ["zone is the directory US"] = new("time_zone = 'US'", "time_zone = 'US'", "unknown time zone 'US'"),
        ["zone is a path out of zoneinfo"] = new("time_zone = '../../../etc/passwd'", "time_zone = '../../../etc/passwd'", "unknown time zone '../../../etc/passwd'"),
        ["zone is empty"] = new("time_zone = ''", "time_zone = ''", "empty time zone: the job's row must name its zone"),
        ["zone is blank"] = new("time_zone = '   '", "time_zone = '   '", "empty time zone: the job's row must name its zone"),
        ["zone is 10 kB long"] = new("time_zone = repeat('Z', 10240)", "time_zone = printf('%.10240c', 'Z')", "unknown time zone '" + new string('Z', 100) + "…'"),
        ["zone has control characters"] = new("time_zone = E'Europe/Paris\\x01'", "time_zone = 'Europe/Paris' || char(1)", "unknown time zone 'Europe/Paris\\u0001'"),
        ["schedule is garbage"] = new("schedule = 'not a cron'", "schedule = 'not a cron'", "invalid schedule 'not a cron'"),
        ["schedule is empty"] = new("schedule = ''", "schedule = ''", "invalid schedule '': the schedule is empty"),
        ["schedule has a bad field"] = new("schedule = '61 * * * *'", "schedule = '61 * * * *'", "invalid schedule '61 * * * *'"),
        ["schedule is Quartz with a year"] = new("schedule = '0 0 12 * * ? 2030'", "schedule = '0 0 12 * * ? 2030'", "invalid schedule '0 0 12 * * ? 2030': 7 fields is Quartz syntax"),
        ["occurrence is -infinity in a non-UTC zone"] = new(
            "occurrence_at = '-infinity', time_zone = 'Europe/Paris'", "occurrence_at = -62135596800000, time_zone = 'Europe/Paris'",
            "corrupt row: occurrence_at is -infinity (0001-01-01)"),
        ["occurrence is infinity in a non-UTC zone"] = new(
            "occurrence_at = 'infinity', time_zone = 'Asia/Tokyo'", "occurrence_at = 253402300799999, time_zone = 'Asia/Tokyo'",
            "corrupt row: occurrence_at is "),
        ["occurrence is before 1970"] = new("occurrence_at = '1900-01-01Z'", "occurrence_at = -2208988800000", "corrupt row: occurrence_at is 1900-01-01T00:00:00.000Z"),
        ["due time is -infinity"] = new("next_due_at = '-infinity', occurrence_at = now()", "next_due_at = -62135596800000", "corrupt row: "),
        ["attempt is negative"] = new("attempt = -3", "attempt = -3", "corrupt row: attempt is -3, expected a count from 1"),
        ["attempt is zero"] = new("attempt = 0", "attempt = 0", "corrupt row: attempt is 0"),
        ["attempt is the largest int"] = new("attempt = 2147483647", "attempt = 2147483647", "corrupt row: attempt is 2147483647"),
        ["fence is the largest bigint"] = new("fence = 9223372036854775807", "fence = 9223372036854775807", "corrupt row: fence is 9223372036854775807"),
        ["fence is negative"] = new("fence = -5, attempt = -1", "fence = -5, attempt = -1", "corrupt row: attempt is -1"),
    };

    public static TheoryData<string> Cases => new(Damages.Keys);

    /// <summary>Writes <paramref name="set"/> into the row of <paramref name="job"/>.</summary>
    protected abstract Task DamageAsync(string job, string set);

    protected abstract string? SetFor(Damage damage);

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_damaged_row_is_marked_errored_without_running_and_the_other_jobs_keep_running(string damage)
    {
        var set = SetFor(Damages[damage]);
        Assert.NotNull(set); // every kind of damage has a form in every dialect

        var victimRuns = 0;
        var victim = Job("victim", "0 0 1 1 *", (_, _) => { Interlocked.Increment(ref victimRuns); return Task.CompletedTask; });
        var healthyRuns = new ConcurrentQueue<DateTimeOffset>();
        var healthy = Job("healthy", "* * * * * *", (ctx, _) => { healthyRuns.Enqueue(ctx.ScheduledFor); return Task.CompletedTask; });
        await PreSeedAsync(victim, now => now);
        await PreSeedAsync(healthy, now => now);
        await DamageAsync("victim", set!);

        await StartNodeAsync([victim, healthy]);

        await WaitUntilAsync(async () => (await RowAsync("victim")).Error is not null, "the damaged row is marked errored");
        var row = await RowAsync("victim");
        Assert.Contains(Damages[damage].Error, row.Error);
        Assert.Null(row.OwnerNode);
        Assert.Null(row.LeaseUntil);
        Assert.Equal(0, Volatile.Read(ref victimRuns));
        Assert.Empty(await HistoryAsync("victim"));

        // The node is not stuck on it: the other job's next occurrences run, and the damaged row is not claimed again.
        var before = healthyRuns.Count;
        await WaitUntilAsync(() => healthyRuns.Count >= before + 2, "the healthy job runs twice more");
        var fenceWhenErrored = row.Fence;
        row = await RowAsync("victim");
        Assert.Equal(fenceWhenErrored, row.Fence);
        Assert.Null(row.OwnerNode);
        Assert.DoesNotContain(Logs.Entries, e => e.Message.Contains("run handling", StringComparison.Ordinal));
    }

    // NULL is a value the schema allows and DistCron reads as meant, not damage: a NULL occurrence is the due time,
    // a NULL due time is "never due again" (a schedule with no further occurrence).
    [Fact]
    public async Task Null_times_are_read_as_meant_and_nothing_is_errored_or_left_leased()
    {
        var occurrences = new ConcurrentQueue<DateTimeOffset>();
        var noOccurrence = Job("no-occurrence", "0 0 1 1 *", (ctx, _) => { occurrences.Enqueue(ctx.ScheduledFor); return Task.CompletedTask; });
        var neverRuns = 0;
        var noDue = Job("no-due", "* * * * * *", (_, _) => { Interlocked.Increment(ref neverRuns); return Task.CompletedTask; });
        var healthyRuns = 0;
        var healthy = Job("healthy", "* * * * * *", (_, _) => { Interlocked.Increment(ref healthyRuns); return Task.CompletedTask; });
        await PreSeedAsync(noOccurrence, now => now);
        await PreSeedAsync(noDue, now => now);
        await PreSeedAsync(healthy, now => now);
        var due = (await RowAsync("no-occurrence")).NextDueAt;
        await DamageAsync("no-occurrence", "occurrence_at = NULL");
        await DamageAsync("no-due", "next_due_at = NULL, occurrence_at = NULL");

        await StartNodeAsync([noOccurrence, noDue, healthy]);

        await WaitUntilAsync(async () => (await HistoryAsync("no-occurrence")).Count == 1, "the row without an occurrence runs for its due time");
        Assert.Equal(due, Assert.Single(occurrences));
        await WaitUntilAsync(() => Volatile.Read(ref healthyRuns) >= 3, "the other job keeps running");
        Assert.Equal(0, Volatile.Read(ref neverRuns));
        foreach (var name in new[] { "no-occurrence", "no-due" })
        {
            var row = await RowAsync(name);
            Assert.Null(row.Error);
            Assert.Null(row.OwnerNode);
        }

        Assert.Null((await RowAsync("no-due")).NextDueAt);
    }

    [Fact]
    public async Task A_restart_with_the_jobs_code_writes_the_damaged_row_again_and_it_runs()
    {
        var ran = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var victim = Job("victim", "* * * * * *", (_, _) => { ran.TrySetResult(); return Task.CompletedTask; });
        await PreSeedAsync(victim, now => now);
        await DamageAsync("victim", SetFor(Damages["zone is the directory Europe"])!);
        var first = await StartNodeAsync([victim]);
        await WaitUntilAsync(async () => (await RowAsync("victim")).Error is not null, "the damaged row is marked errored");
        await first.StopAsync();

        await StartNodeAsync([victim]);
        await WithinDeadline(ran.Task.ContinueWith(_ => true), "the re-seeded job runs");
        Assert.Equal("UTC", (await RowAsync("victim")).TimeZone);
    }
}

public sealed class SqliteCorruptRowTests : CorruptRowTests
{
    protected override EngineStoreFactory CreateStoreFactory() => new SqliteEngineStoreFactory();

    protected override string? SetFor(Damage damage) => damage.Sqlite;

    protected override async Task DamageAsync(string job, string set)
    {
        await using var connection = new SqliteConnection($"Data Source={((SqliteEngineStoreFactory)Store).Path};Default Timeout=30");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"UPDATE jobs SET {set} WHERE app = $app AND name = $name";
        command.Parameters.AddWithValue("$app", App);
        command.Parameters.AddWithValue("$name", job);
        Assert.Equal(1, await command.ExecuteNonQueryAsync());
    }
}

public sealed class PostgresCorruptRowTests : CorruptRowTests
{
    protected override EngineStoreFactory CreateStoreFactory() => new PostgresEngineStoreFactory();

    protected override string? SetFor(Damage damage) => damage.Postgres;

    protected override async Task DamageAsync(string job, string set)
    {
        await using var connection = new NpgsqlConnection(((PostgresEngineStoreFactory)Store).ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"UPDATE distcron.jobs SET {set} WHERE app = @app AND name = @name", connection);
        command.Parameters.AddWithValue("app", App);
        command.Parameters.AddWithValue("name", job);
        Assert.Equal(1, await command.ExecuteNonQueryAsync());
    }
}
