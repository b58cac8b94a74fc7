using DistCron.Storage;
using DistCron.Storage.Postgres;
using DistCron.Storage.Sqlite;
using DistCron.Tests.Engine;
using DistCron.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace DistCron.Tests.Storage;

/// <summary>
/// Upgrades of a database left at version 1 by an earlier release: the version-1 state is recreated by dropping the
/// column of migration 2 and lowering the marker, then the current store migrates it. The due index (a migration-1
/// object) is dropped too: an upgrade that applies only migration 2 leaves it missing, one that re-runs migration 1
/// would recreate it.
/// </summary>
public sealed class SchemaUpgradeTests
{
    private const string App = "app";
    private const int RetryEventId = 1003;
    private const int NewerSchemaEventId = 1002;
    private static readonly CancellationToken Ct = CancellationToken.None;
    private static readonly TimeSpan TrafficDeadline = TimeSpan.FromMinutes(2);

    [Fact]
    public void Every_postgres_migration_is_numbered_up_to_the_latest_version()
    {
        Assert.Equal(PostgresSchema.LatestVersion, PostgresSchema.MigrationCount);
        var script = PostgresJobStore.GetSchemaSql("s");
        for (var number = 1; number <= PostgresSchema.LatestVersion; number++)
        {
            Assert.Contains($"-- DistCron migration {number}\n", script);
            // Each step carries its own version bump, never a higher one.
            Assert.Contains($"SET version = {number} WHERE version < {number}", PostgresSchema.Step("s", number));
            Assert.DoesNotContain($"SET version = {number + 1}", PostgresSchema.Step("s", number));
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => PostgresSchema.Step("s", PostgresSchema.LatestVersion + 1));
    }

    [Fact]
    public async Task A_version_1_sqlite_file_gets_only_the_later_migrations()
    {
        var path = SqliteJobStoreTests.NewDatabasePath();
        try
        {
            await using (var first = new SqliteJobStore(path))
            {
                await first.MigrateAsync(Ct);
                await first.SeedAsync(App, [new SeedJob("kept", "0 * * * *", "UTC", "h1", null)], Ct);
            }

            SqliteConnection.ClearAllPools();
            await using (var connection = new SqliteConnection($"Data Source={path}"))
            {
                await connection.OpenAsync();
                await using var downgrade = connection.CreateCommand();
                downgrade.CommandText = "ALTER TABLE jobs DROP COLUMN definition_version; ALTER TABLE jobs DROP COLUMN schedule_rev; ALTER TABLE jobs DROP COLUMN claimed_manual; ALTER TABLE jobs DROP COLUMN disabled; ALTER TABLE jobs DROP COLUMN code_hash; DROP INDEX jobs_due; " +
                    "DROP INDEX jobs_pause_until; ALTER TABLE jobs DROP COLUMN pause_reason; ALTER TABLE jobs DROP COLUMN pause_until; DROP TABLE audit; " +
                    DropUpgrade8Sqlite + "UPDATE schema_version SET version = 1;";
                await downgrade.ExecuteNonQueryAsync();
            }

            SqliteConnection.ClearAllPools();
            await using (var store = new SqliteJobStore(path))
            {
                await store.MigrateAsync(Ct);
                await AssertUpgradedAsync(store);
            }

            SqliteConnection.ClearAllPools();
            await using (var connection = new SqliteConnection($"Data Source={path}"))
            {
                await connection.OpenAsync();
                await using var check = connection.CreateCommand();
                check.CommandText = "SELECT (SELECT version FROM schema_version), (SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = 'jobs_due'), " +
                    "(SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = 'runs_by_finish'), " +
                    "(SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'audit'), (SELECT COUNT(*) FROM pragma_table_info('jobs') WHERE name IN ('pause_reason', 'pause_until'));";
                await using var reader = await check.ExecuteReaderAsync();
                Assert.True(await reader.ReadAsync());
                Assert.Equal(SqliteSchema.CurrentVersion, reader.GetInt64(0));
                Assert.Equal(0L, reader.GetInt64(1)); // migration 1 did not run again
                Assert.Equal(1L, reader.GetInt64(2)); // the history pruning index arrived with its upgrade
                Assert.Equal(1L, reader.GetInt64(3)); // the audit table arrived with upgrade 7
                Assert.Equal(2L, reader.GetInt64(4)); // and the pause reason and until columns
            }
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            SqliteJobStoreTests.DeleteDatabase(path);
        }
    }

    [Fact]
    public async Task A_version_1_postgres_schema_gets_only_the_later_migrations()
    {
        await using var dataSource = await Version1DatabaseAsync("upgrade");
        var logs = new TestLogs();
        await using var store = new PostgresJobStore(dataSource, logger: logs.CreateLogger("DistCron.Storage"));

        await store.MigrateAsync(Ct);

        Assert.Equal(PostgresSchema.LatestVersion, await ScalarAsync<int>(dataSource, "SELECT version FROM distcron.schema_version"));
        Assert.Equal(1L, await ScalarAsync<long>(dataSource, "SELECT count(*) FROM distcron.schema_version"));
        Assert.True(await ScalarAsync<bool>(dataSource, "SELECT to_regclass('distcron.runs_job_idx') IS NULL"),
            "migration 1 ran again: the dropped history index was recreated");
        Assert.True(await ScalarAsync<bool>(dataSource, "SELECT to_regclass('distcron.jobs_claim_order_idx') IS NOT NULL"), "migration 3 ran");
        Assert.True(await ScalarAsync<bool>(dataSource, "SELECT to_regclass('distcron.runs_finished_idx') IS NOT NULL"), "the history pruning migration ran");
        Assert.True(await ScalarAsync<bool>(dataSource, "SELECT to_regclass('distcron.audit') IS NOT NULL"), "the audit migration ran");
        Assert.Equal(2L, await ScalarAsync<long>(dataSource,
            "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'distcron' AND table_name = 'jobs' AND column_name IN ('pause_reason', 'pause_until')"));
        Assert.True(logs.Has(1001), logs.Dump());
        Assert.False(logs.Has(RetryEventId), logs.Dump());
        await AssertUpgradedAsync(store);
    }

    [Fact]
    public async Task A_fresh_postgres_schema_gets_every_migration()
    {
        var server = await PostgresServer.SharedAsync();
        await using var dataSource = NpgsqlDataSource.Create(await server.CreateDatabaseAsync("fresh"));
        await using var store = new PostgresJobStore(dataSource, "fresh_schema");

        await store.MigrateAsync(Ct);
        await store.MigrateAsync(Ct); // current: nothing to do

        Assert.Equal(PostgresSchema.LatestVersion, await ScalarAsync<int>(dataSource, "SELECT version FROM fresh_schema.schema_version"));
        Assert.Equal(1L, await ScalarAsync<long>(dataSource, "SELECT count(*) FROM fresh_schema.schema_version"));
        Assert.True(await ScalarAsync<bool>(dataSource, "SELECT to_regclass('fresh_schema.jobs_claim_order_idx') IS NOT NULL"));
        Assert.True(await ScalarAsync<bool>(dataSource, "SELECT to_regclass('fresh_schema.jobs_trigger_idx') IS NOT NULL"));
        Assert.True(await ScalarAsync<bool>(dataSource, "SELECT to_regclass('fresh_schema.runs_finished_idx') IS NOT NULL"));
        Assert.True(await ScalarAsync<bool>(dataSource, "SELECT to_regclass('fresh_schema.jobs_due_idx') IS NULL"), "migration 3 replaced the old due index");
        Assert.True(await ScalarAsync<bool>(dataSource,
            "SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = 'fresh_schema' AND table_name = 'jobs' AND column_name = 'definition_version')"));
        Assert.True(await ScalarAsync<bool>(dataSource,
            "SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = 'fresh_schema' AND table_name = 'jobs' AND column_name = 'schedule_rev')"));
    }

    [Fact]
    public async Task A_newer_postgres_schema_version_is_never_lowered()
    {
        var server = await PostgresServer.SharedAsync();
        await using var dataSource = NpgsqlDataSource.Create(await server.CreateDatabaseAsync("newer"));
        await using (var first = new PostgresJobStore(dataSource))
        {
            await first.MigrateAsync(Ct);
        }

        await ExecuteAsync(dataSource, $"UPDATE distcron.schema_version SET version = {PostgresSchema.LatestVersion + 1}");
        var logs = new TestLogs();
        await using var store = new PostgresJobStore(dataSource, logger: logs.CreateLogger("DistCron.Storage"));

        await store.MigrateAsync(Ct);
        await store.CheckSchemaAsync(Ct); // AutoMigrate = false: a newer schema lets the node start too

        Assert.Equal(PostgresSchema.LatestVersion + 1, await ScalarAsync<int>(dataSource, "SELECT version FROM distcron.schema_version"));
        var newer = logs.Entries.Where(e => e.EventId.Id == NewerSchemaEventId).ToArray();
        Assert.Equal(2, newer.Length);
        Assert.All(newer, e => Assert.Equal(LogLevel.Warning, e.Level)); // code older than its database deserves attention
    }

    [Fact]
    public async Task A_newer_sqlite_file_is_kept_with_a_warning_by_migrate_and_by_the_check()
    {
        var path = SqliteJobStoreTests.NewDatabasePath();
        try
        {
            await using (var first = new SqliteJobStore(path))
            {
                await first.MigrateAsync(Ct);
            }

            await SqliteAsync(path, $"UPDATE schema_version SET version = {SqliteSchema.CurrentVersion + 1};");
            var logs = new TestLogs();
            await using (var store = new SqliteJobStore(path, logs.CreateLogger("DistCron.Storage")))
            {
                await store.MigrateAsync(Ct);
                await store.CheckSchemaAsync(Ct);
            }

            var newer = logs.Entries.Where(e => e.EventId.Id == 2002).ToArray();
            Assert.Equal(2, newer.Length);
            Assert.All(newer, e => Assert.Equal(LogLevel.Warning, e.Level));
            Assert.Equal(SqliteSchema.CurrentVersion + 1L, await SqliteAsync(path, "SELECT version FROM schema_version;"));
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            SqliteJobStoreTests.DeleteDatabase(path);
        }
    }

    [Fact]
    public async Task Without_auto_migrate_the_check_names_the_versions_and_changes_nothing()
    {
        var path = SqliteJobStoreTests.NewDatabasePath();
        try
        {
            await using (var empty = new SqliteJobStore(path))
            {
                var missing = await Assert.ThrowsAsync<SchemaNotReadyException>(() => empty.CheckSchemaAsync(Ct));
                Assert.Contains("no DistCron schema", missing.Message);
                Assert.Contains("'distcron sql --store sqlite'", missing.Message);
                Assert.Equal(0L, await SqliteAsync(path, "SELECT COUNT(*) FROM sqlite_master;")); // nothing created
                await empty.MigrateAsync(Ct);
                await empty.CheckSchemaAsync(Ct); // current: passes
            }

            await SqliteAsync(path, "ALTER TABLE jobs DROP COLUMN schedule_rev; UPDATE schema_version SET version = 2;");
            await using (var store = new SqliteJobStore(path))
            {
                var older = await Assert.ThrowsAsync<SchemaNotReadyException>(() => store.CheckSchemaAsync(Ct));
                Assert.Contains($"is at version 2; this DistCron needs version {SqliteSchema.CurrentVersion}", older.Message);
                Assert.Contains(SqliteSchema.UpgradeScript(2), older.Message);
                Assert.Equal(2L, await SqliteAsync(path, "SELECT version FROM schema_version;"));
            }
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            SqliteJobStoreTests.DeleteDatabase(path);
        }

        var server = await PostgresServer.SharedAsync();
        await using var dataSource = NpgsqlDataSource.Create(await server.CreateDatabaseAsync("check"));
        await using var postgres = new PostgresJobStore(dataSource, "checked");
        var none = await Assert.ThrowsAsync<SchemaNotReadyException>(() => postgres.CheckSchemaAsync(Ct));
        Assert.Contains("no DistCron schema 'checked'", none.Message);
        Assert.Contains("'distcron sql --schema checked'", none.Message);
        Assert.True(await ScalarAsync<bool>(dataSource, "SELECT to_regnamespace('checked') IS NULL"), "the check created nothing");
        await postgres.MigrateAsync(Ct);
        await postgres.CheckSchemaAsync(Ct);
        await ExecuteAsync(dataSource, "UPDATE checked.schema_version SET version = 2");
        var behind = await Assert.ThrowsAsync<SchemaNotReadyException>(() => postgres.CheckSchemaAsync(Ct));
        Assert.Contains($"schema 'checked' is at version 2; this DistCron needs version {PostgresSchema.LatestVersion}", behind.Message);
        Assert.Contains($"migrations 3-{PostgresSchema.LatestVersion}", behind.Message);
    }

    private static async Task<object?> SqliteAsync(string path, string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync();
    }

    [Fact]
    public async Task An_upgrade_under_claim_and_complete_traffic_finishes_without_a_deadlock()
    {
        var names = Enumerable.Range(0, 20).Select(i => $"job{i:D2}").ToArray();
        await using var dataSource = await Version1DatabaseAsync("traffic", names, keepScheduleRevision: true);
        var logs = new TestLogs();
        await using var traffic = new PostgresJobStore(dataSource);
        using var stop = new CancellationTokenSource();
        var completions = 0L;

        // Two other nodes claim and complete as fast as they can; every completion makes the row due again at once.
        var trafficTask = Task.WhenAll(Enumerable.Range(1, 2).Select(node => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var batch = await traffic.ClaimDueAsync(new ClaimRequest(App, $"traffic-{node}", 5, TimeSpan.FromMinutes(5)), Ct); // every job of the app
                foreach (var job in batch.Claimed)
                {
                    var due = batch.DatabaseNow.AddSeconds(-1);
                    var completion = new Completion(job.Token, RunStatus.Succeeded, job.OccurrenceAt, job.Attempt, batch.DatabaseNow,
                        TimeSpan.Zero, null, null, due, due, 1, job.IsManualTrigger);
                    Assert.True(await traffic.CompleteAsync(completion, Ct));
                    Interlocked.Increment(ref completions);
                }
            }
        })));

        try
        {
            for (var round = 1; round <= 10; round++)
            {
                // Upgrade only while the traffic is demonstrably flowing.
                var before = Interlocked.Read(ref completions);
                await Eventually.TrueAsync(() => Interlocked.Read(ref completions) >= before + 20 || trafficTask.IsCompleted, "20 more completions", TrafficDeadline);
                Assert.False(trafficTask.IsCompleted, "the traffic loop stopped before the upgrade");
                if (round > 1) await DowngradeToVersion1Async(dataSource);

                await using var store = new PostgresJobStore(dataSource, logger: logs.CreateLogger("DistCron.Storage"));
                await store.MigrateAsync(Ct);

                Assert.Equal(PostgresSchema.LatestVersion, await ScalarAsync<int>(dataSource, "SELECT version FROM distcron.schema_version"));
                Assert.True(await DefinitionVersionColumnExistsAsync(dataSource));
            }

            var afterUpgrades = Interlocked.Read(ref completions);
            await Eventually.TrueAsync(() => Interlocked.Read(ref completions) >= afterUpgrades + 20 || trafficTask.IsCompleted, "20 more completions after the upgrades", TrafficDeadline);
        }
        finally
        {
            await stop.CancelAsync();
        }

        await trafficTask; // a deadlock victim on the traffic side throws here
        // A deadlock (or a lock timeout) on the migration side is retried: the retry is logged, so none may appear.
        Assert.False(logs.Has(RetryEventId), logs.Dump());
        Assert.Equal(names.Length, (await traffic.ListJobsAsync(App, Ct)).Count);
    }

    [Fact]
    public async Task A_long_transaction_on_jobs_makes_the_upgrade_fail_with_a_lock_timeout_then_succeed_once_it_ends()
    {
        await using var dataSource = await Version1DatabaseAsync("locked");
        var logs = new TestLogs();
        await using var store = new PostgresJobStore(dataSource, logger: logs.CreateLogger("DistCron.Storage"))
        {
            MigrationLockTimeout = TimeSpan.FromSeconds(1),
        };

        await using (var blocker = await dataSource.OpenConnectionAsync())
        {
            // An open transaction that has read jobs holds an ACCESS SHARE lock until it ends: ALTER TABLE must wait.
            await using var transaction = await blocker.BeginTransactionAsync();
            await using (var read = new NpgsqlCommand("SELECT count(*) FROM distcron.jobs", blocker, transaction))
            {
                await read.ExecuteScalarAsync();
            }

            // A hang would end in cancellation (OperationCanceledException), not in the TimeoutException asserted.
            using var hang = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            var error = await Assert.ThrowsAsync<TimeoutException>(() => store.MigrateAsync(hang.Token));
            Assert.Contains("lock", error.Message);
            Assert.Contains("'distcron'", error.Message);
            Assert.Equal(PostgresErrorCodes.LockNotAvailable, Assert.IsType<PostgresException>(error.InnerException).SqlState);
            Assert.True(logs.Has(RetryEventId), logs.Dump()); // the earlier attempts were retried

            // Every attempt rolled back: nothing half-applied.
            Assert.Equal(1, await ScalarAsync<int>(dataSource, "SELECT version FROM distcron.schema_version"));
            Assert.False(await DefinitionVersionColumnExistsAsync(dataSource));

            await transaction.RollbackAsync();
        }

        await store.MigrateAsync(Ct);
        Assert.Equal(PostgresSchema.LatestVersion, await ScalarAsync<int>(dataSource, "SELECT version FROM distcron.schema_version"));
        await AssertUpgradedAsync(store);
    }

    [Fact]
    public async Task A_version_8_postgres_schema_upgrades_in_place_and_its_old_rows_read_as_unknown()
    {
        var server = await PostgresServer.SharedAsync();
        await using var dataSource = NpgsqlDataSource.Create(await server.CreateDatabaseAsync("v8"));
        await using (var first = new PostgresJobStore(dataSource)) await first.MigrateAsync(Ct);
        await ExecuteAsync(dataSource, DropMigration9Postgres + " UPDATE distcron.schema_version SET version = 8;");
        // Rows as a version-8 DistCron writes them (it names none of the new columns).
        await ExecuteAsync(dataSource, """
            INSERT INTO distcron.jobs (app, name, schedule, time_zone, definition_hash, next_due_at) VALUES ('app', 'kept', '0 * * * *', 'UTC', 'h1', now() + interval '1 hour');
            INSERT INTO distcron.nodes (app, node_id, host, pid, job_names) VALUES ('app', 'old-node', 'host', 1, ARRAY['kept']);
            """);

        await using var store = new PostgresJobStore(dataSource);
        await store.MigrateAsync(Ct);

        Assert.Equal(9, await ScalarAsync<int>(dataSource, "SELECT version FROM distcron.schema_version"));
        await AssertVersion8RowsReadAsUnknownThenFilledAsync(store);
    }

    [Fact]
    public async Task A_version_7_sqlite_file_upgrades_in_place_and_its_old_rows_read_as_unknown()
    {
        var path = SqliteJobStoreTests.NewDatabasePath();
        try
        {
            await using (var first = new SqliteJobStore(path)) await first.MigrateAsync(Ct);
            SqliteConnection.ClearAllPools();
            await using (var connection = new SqliteConnection($"Data Source={path}"))
            {
                await connection.OpenAsync();
                await using var downgrade = connection.CreateCommand();
                downgrade.CommandText = DropUpgrade8Sqlite + "UPDATE schema_version SET version = 7; " +
                    "INSERT INTO jobs (app, name, schedule, time_zone, definition_hash, next_due_at) VALUES ('app', 'kept', '0 * * * *', 'UTC', 'h1', 4102444800000); " +
                    "INSERT INTO nodes (app, node_id, host, pid, started_at, heartbeat_at, job_names) VALUES ('app', 'old-node', 'host', 1, 0, 0, '[\"kept\"]');";
                await downgrade.ExecuteNonQueryAsync();
            }

            SqliteConnection.ClearAllPools();
            await using var store = new SqliteJobStore(path);
            await store.MigrateAsync(Ct);
            await AssertVersion8RowsReadAsUnknownThenFilledAsync(store);
            await using var check = new SqliteConnection($"Data Source={path}");
            await check.OpenAsync();
            await using var version = check.CreateCommand();
            version.CommandText = "SELECT version FROM schema_version;";
            Assert.Equal(8L, (long)(await version.ExecuteScalarAsync())!);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            SqliteJobStoreTests.DeleteDatabase(path);
        }
    }

    // The rows an older DistCron wrote read as unknown; this version's seed fills the facts in (same definition: its
    // schedule state stays) and its registration the versions.
    private static async Task AssertVersion8RowsReadAsUnknownThenFilledAsync(IJobStore store)
    {
        var old = Assert.Single(await store.ListJobsAsync(App, Ct));
        Assert.Null(old.Definition);
        var node = Assert.Single(await store.ListNodesAsync(App, Ct));
        Assert.Equal((null, null, null), (node.LibraryVersion, node.DeploymentVersion, node.Runtime));

        var facts = new JobDefinitionInfo("Shop.Jobs", "Run", CronFormat.Standard, MisfirePolicy.RunOnce, null, null, 0);
        await store.SeedAsync(App, [new SeedJob("kept", "0 * * * *", "UTC", "h1", null) { Facts = facts }], Ct);
        await store.RegisterNodeAsync(new NodeInfo(App, "new-node", "host", 2, ["kept"]) { LibraryVersion = "9.9.9" }, TimeSpan.FromDays(1), Ct);

        var row = Assert.Single(await store.ListJobsAsync(App, Ct));
        Assert.Equal(facts, row.Definition);
        Assert.Equal((old.NextDueAt, old.ScheduleRevision), (row.NextDueAt, row.ScheduleRevision));
        Assert.Equal("9.9.9", Assert.Single(await store.ListNodesAsync(App, Ct), n => n.NodeId == "new-node").LibraryVersion);
    }

    // A database at version 1 holding the seeded jobs (due a minute ago), without the history index (see above).
    // keepScheduleRevision: the column of migration 4 stays, for traffic that runs this build's claims before the
    // upgrade (they read it; migration 4 adds it only if missing).
    private static async Task<NpgsqlDataSource> Version1DatabaseAsync(string hint, string[]? names = null, bool keepScheduleRevision = false)
    {
        var server = await PostgresServer.SharedAsync();
        var dataSource = NpgsqlDataSource.Create(await server.CreateDatabaseAsync(hint));
        await using (var first = new PostgresJobStore(dataSource))
        {
            await first.MigrateAsync(Ct);
            var due = (await first.GetDatabaseTimeAsync(Ct)).AddMinutes(-1);
            var jobs = (names ?? ["kept"]).Select(name => new SeedJob(name, "0 * * * *", "UTC", "h1", due)).ToList();
            await first.SeedAsync(App, jobs, Ct);
        }

        await DowngradeToVersion1Async(dataSource);
        // Not in DowngradeToVersion1Async: the traffic test downgrades under claims, which use these columns.
        if (!keepScheduleRevision) await ExecuteAsync(dataSource, "ALTER TABLE distcron.jobs DROP COLUMN schedule_rev, DROP COLUMN claimed_manual, DROP COLUMN disabled, DROP COLUMN code_hash, DROP COLUMN pause_reason, DROP COLUMN pause_until; DROP TABLE distcron.audit; " + DropMigration9Postgres);
        await ExecuteAsync(dataSource, "DROP INDEX IF EXISTS distcron.runs_job_idx"); // a migration-1 object: must not come back
        return dataSource;
    }

    // What migration 9 (upgrade 8) adds: dropping it leaves a database as version 8 (7) left it.
    private const string DropMigration9Postgres =
        "ALTER TABLE distcron.jobs DROP COLUMN declaring_type, DROP COLUMN method_name, DROP COLUMN options; " +
        "ALTER TABLE distcron.nodes DROP COLUMN library_version, DROP COLUMN deployment_version, DROP COLUMN runtime;";

    private const string DropUpgrade8Sqlite =
        "ALTER TABLE jobs DROP COLUMN declaring_type; ALTER TABLE jobs DROP COLUMN method_name; ALTER TABLE jobs DROP COLUMN options; " +
        "ALTER TABLE nodes DROP COLUMN library_version; ALTER TABLE nodes DROP COLUMN deployment_version; ALTER TABLE nodes DROP COLUMN runtime; ";

    private static Task DowngradeToVersion1Async(NpgsqlDataSource dataSource) =>
        ExecuteAsync(dataSource, "ALTER TABLE distcron.jobs DROP COLUMN definition_version; " +
            "DROP INDEX distcron.jobs_claim_order_idx; DROP INDEX distcron.jobs_trigger_idx; UPDATE distcron.schema_version SET version = 1;");

    private static Task<bool> DefinitionVersionColumnExistsAsync(NpgsqlDataSource dataSource) => ScalarAsync<bool>(dataSource,
        "SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = 'distcron' AND table_name = 'jobs' AND column_name = 'definition_version')");

    private static async Task AssertUpgradedAsync(IJobStore store)
    {
        var before = Assert.Single(await store.ListJobsAsync(App, Ct));
        Assert.Equal("h1", before.DefinitionHash);
        Assert.Equal(0, before.ScheduleRevision); // the column's default on the rows that existed before it
        await store.SeedAsync(App, [new SeedJob("kept", "0 * * * *", "UTC", "h2", null, DefinitionVersion: 5)], Ct);
        await store.SeedAsync(App, [new SeedJob("kept", "0 * * * *", "UTC", "h1", null, DefinitionVersion: 4)], Ct);
        var after = Assert.Single(await store.ListJobsAsync(App, Ct));
        Assert.Equal("h2", after.DefinitionHash);
        Assert.Equal(1, after.ScheduleRevision); // raised by the new definition only
    }

    private static async Task ExecuteAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
