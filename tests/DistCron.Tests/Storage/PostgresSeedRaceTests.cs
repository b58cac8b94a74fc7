using DistCron.Scheduling;
using DistCron.Storage;
using DistCron.Storage.Postgres;
using DistCron.Tests.Infrastructure;
using Npgsql;

namespace DistCron.Tests.Storage;

/// <summary>
/// The PostgreSQL seed locks the existing rows before it reads the clock; a row that did not exist then cannot be
/// locked. When another seed inserts it (and an old-release node claims it ahead) between this seed's lock and its
/// upsert, the upsert must not overwrite it with a due time computed without that claim in view: it skips the row and
/// retries with it locked.
/// </summary>
public sealed class PostgresSeedRaceTests : IAsyncLifetime
{
    private const string App = "pg-seed-race";
    private const string EverySecond = "* * * * * *";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);
    private static CancellationToken Ct => CancellationToken.None;

    private PostgresServer _server = null!;
    private NpgsqlDataSource? _dataSource;
    private PostgresJobStore? _store;

    public async Task InitializeAsync() => _server = await PostgresServer.SharedAsync();

    public async Task DisposeAsync()
    {
        if (_store is not null) await _store.DisposeAsync();
        if (_dataSource is not null) await _dataSource.DisposeAsync();
    }

    [Fact]
    public async Task A_row_inserted_and_claimed_ahead_after_the_seed_locked_its_rows_is_reseeded_after_the_claimed_occurrence()
    {
        var connectionString = await _server.CreateDatabaseAsync("seed-race");
        _dataSource = NpgsqlDataSource.Create(connectionString);
        _store = new PostgresJobStore(_dataSource);
        await _store.MigrateAsync(Ct);
        var now = await _store.GetDatabaseTimeAsync(Ct);
        var occurrence = new DateTimeOffset(now.UtcTicks - now.UtcTicks % TimeSpan.TicksPerSecond, TimeSpan.Zero).AddSeconds(3);

        // Another node's seed inserts the row and an old-release node claims it ahead for the occurrence: uncommitted yet.
        await using var other = new NpgsqlConnection(connectionString);
        await other.OpenAsync();
        await using var transaction = await other.BeginTransactionAsync();
        await using (var insert = new NpgsqlCommand("""
            INSERT INTO distcron.jobs (app, name, schedule, time_zone, definition_hash, next_due_at, occurrence_at,
                                       owner_node, fence, lease_until, claimed_at)
            VALUES (@app, 'a', @schedule, 'UTC', 'release-1', @occurrence, @occurrence, 'old-node', 1, now() + interval '5 minutes', now())
            """, other, transaction))
        {
            insert.Parameters.AddWithValue("app", App);
            insert.Parameters.AddWithValue("schedule", EverySecond);
            insert.Parameters.AddWithValue("occurrence", occurrence);
            await insert.ExecuteNonQueryAsync();
        }

        // This seed finds no row to lock and reads the clock, which is before the claimed occurrence (a due time from it
        // alone would run that occurrence again under the new definition); its insert waits on the uncommitted row.
        var schedule = ScheduleResolver.Resolve(EverySecond, "UTC", "a").Schedule!;
        var seed = new SeedJob("a", EverySecond, "UTC", "release-2", occurrence) { FirstDueAfter = after => RunRules.FirstDue(schedule, after).DueAt };
        var seeding = _store.SeedAsync(App, [seed], Ct);
        await Eventually.TrueAsync(async () => seeding.IsCompleted || await SeedWaitsOnLockAsync(connectionString), "the seed waits on the inserted row");
        Assert.False(seeding.IsCompleted, "the seed must wait on the uncommitted row");
        await transaction.CommitAsync();
        Assert.Same(seeding, await Task.WhenAny(seeding, Task.Delay(Deadline)));
        await seeding;

        var row = Assert.Single(await _store.ListJobsAsync(App, Ct));
        Assert.Equal("release-2", row.DefinitionHash);
        Assert.Equal(occurrence.AddSeconds(1), row.NextDueAt); // not the occurrence the old node is running
        Assert.Equal(occurrence.AddSeconds(1), row.OccurrenceAt);
    }

    private static async Task<bool> SeedWaitsOnLockAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "select count(*) from pg_stat_activity where wait_event_type = 'Lock' and query like '%ON CONFLICT%'", connection);
        return (long)(await command.ExecuteScalarAsync())! > 0;
    }

    // A restart with unchanged code (every kill, crash and scale-out of a fleet) must not lock the app's rows: under
    // load a cold process's seed transaction held every other node's heartbeats and completions behind it long enough
    // for their leases to lapse (chaos long mode: two dozen runs taken over from a live node).
    [Fact]
    public async Task A_restart_with_unchanged_definitions_takes_no_row_lock()
    {
        var connectionString = await _server.CreateDatabaseAsync("seed-nolock");
        _dataSource = NpgsqlDataSource.Create(connectionString);
        _store = new PostgresJobStore(_dataSource);
        await _store.MigrateAsync(Ct);
        var now = await _store.GetDatabaseTimeAsync(Ct);
        var seed = new SeedJob("a", EverySecond, "UTC", "release-1", now.AddHours(1));
        await _store.SeedAsync(App, [seed], Ct);

        // Another transaction holds the row, as a heartbeat or a completion in flight does.
        await using var other = new NpgsqlConnection(connectionString);
        await other.OpenAsync();
        await using var transaction = await other.BeginTransactionAsync();
        await using (var hold = new NpgsqlCommand("SELECT 1 FROM distcron.jobs WHERE app = @app AND name = 'a' FOR UPDATE", other, transaction))
        {
            hold.Parameters.AddWithValue("app", App);
            await hold.ExecuteNonQueryAsync();
        }

        // The same definition again (a restarted node) finishes while the row is held: it had nothing to write.
        await _store.SeedAsync(App, [seed with { NextDueAt = now.AddHours(2) }], Ct).WaitAsync(Deadline);

        // A changed definition does need the lock: it waits until the holder is done, then writes.
        var changed = _store.SeedAsync(App, [new SeedJob("a", EverySecond, "UTC", "release-2", now.AddHours(3))], Ct);
        await Task.Delay(TimeSpan.FromMilliseconds(300));
        Assert.False(changed.IsCompleted);
        await transaction.CommitAsync();
        await changed.WaitAsync(Deadline);
        var row = Assert.Single(await _store.ListJobsAsync(App, Ct));
        Assert.Equal("release-2", row.DefinitionHash);
    }
}
