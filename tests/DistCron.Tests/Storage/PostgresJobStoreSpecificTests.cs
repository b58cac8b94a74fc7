using System.Collections.Concurrent;
using DistCron.Storage;
using DistCron.Storage.Postgres;
using DistCron.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace DistCron.Tests.Storage;

/// <summary>
/// PostgreSQL-only behaviour, against the real shared test cluster: concurrency (migrations, seeds, claim races,
/// row locks held elsewhere), fencing after lease loss, untouched rows, LISTEN/NOTIFY, a crash-restart of the
/// server, schema-name validation and secrets kept out of errors and logs.
/// </summary>
public sealed class PostgresJobStoreSpecificTests : IAsyncLifetime
{
    private const string App = "pg-specific";
    private static readonly TimeSpan LongLease = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);
    private static CancellationToken Ct => CancellationToken.None;

    private readonly List<IAsyncDisposable> _owned = [];
    private PostgresServer _server = null!;

    public async Task InitializeAsync() => _server = await PostgresServer.SharedAsync();

    public async Task DisposeAsync()
    {
        // Stores first (they hold the LISTEN connections), then their data sources.
        for (var i = _owned.Count - 1; i >= 0; i--) await _owned[i].DisposeAsync();
    }

    private NpgsqlDataSource DataSource(string connectionString)
    {
        var dataSource = NpgsqlDataSource.Create(connectionString);
        lock (_owned) _owned.Add(dataSource);
        return dataSource;
    }

    private PostgresJobStore Store(string connectionString, string schema = "distcron", ILogger? logger = null)
    {
        var store = new PostgresJobStore(DataSource(connectionString), schema, logger);
        lock (_owned) _owned.Add(store);
        return store;
    }

    private async Task<(string ConnectionString, PostgresJobStore Store)> FreshAsync(string hint)
    {
        var connectionString = await _server.CreateDatabaseAsync(hint);
        var store = Store(connectionString);
        await store.MigrateAsync(Ct);
        return (connectionString, store);
    }

    private static async Task<T> ScalarAsync<T>(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static SeedJob Job(string name, DateTimeOffset? due, string hash = "h1") => new(name, "* * * * *", "UTC", hash, due);

    // ------------------------------------------------------------------ migration

    [Fact]
    public async Task Ten_stores_migrating_a_fresh_database_at_the_same_instant_all_succeed()
    {
        var connectionString = await _server.CreateDatabaseAsync("mig");
        var stores = Enumerable.Range(0, 10).Select(_ => Store(connectionString)).ToList();
        using var start = new ManualResetEventSlim();

        var migrations = stores.Select(s => Task.Run(async () => { start.Wait(); await s.MigrateAsync(Ct); })).ToList();
        start.Set();
        await Task.WhenAll(migrations);

        Assert.Equal(1L, await ScalarAsync<long>(connectionString, "select count(*) from distcron.schema_version"));
        Assert.Equal(PostgresSchema.LatestVersion, await ScalarAsync<int>(connectionString, "select version from distcron.schema_version"));
        Assert.Equal(4L, await ScalarAsync<long>(connectionString,
            "select count(*) from pg_indexes where schemaname = 'distcron' and indexname in ('jobs_claim_order_idx', 'jobs_trigger_idx', 'runs_job_idx', 'runs_finished_idx')"));
        // The claim-order index is partial (only claimable rows) and in the claim's order.
        Assert.Contains("(app, next_due_at, name) WHERE ((NOT paused) AND (error IS NULL))", await ScalarAsync<string>(connectionString,
            "select indexdef from pg_indexes where indexname = 'jobs_claim_order_idx'"));
    }

    [Fact]
    public async Task The_published_schema_sql_is_what_migration_needs_so_a_dba_can_apply_it_by_hand()
    {
        var connectionString = await _server.CreateDatabaseAsync("dba");
        var sql = PostgresJobStore.GetSchemaSql("dba_schema");
        Assert.Contains("CREATE SCHEMA IF NOT EXISTS dba_schema;", sql);
        Assert.DoesNotContain("{schema}", sql);

        await ExecuteAsync(connectionString, sql);
        await ExecuteAsync(connectionString, sql); // idempotent

        // A role that may not create anything can still start once the DBA applied the script.
        await ExecuteAsync(connectionString, """
            CREATE ROLE distcron_app LOGIN PASSWORD 'app-pw';
            GRANT USAGE ON SCHEMA dba_schema TO distcron_app;
            GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA dba_schema TO distcron_app;
            GRANT USAGE ON ALL SEQUENCES IN SCHEMA dba_schema TO distcron_app;
            REVOKE CREATE ON SCHEMA public FROM PUBLIC;
            """);
        var appConnection = new NpgsqlConnectionStringBuilder(connectionString) { Username = "distcron_app", Password = "app-pw" }.ConnectionString;
        var store = Store(appConnection, "dba_schema");
        await store.MigrateAsync(Ct);

        var now = await store.GetDatabaseTimeAsync(Ct);
        await store.SeedAsync(App, [Job("a", now.AddSeconds(-1))], Ct);
        var claim = Assert.Single((await store.ClaimDueAsync(App, "n1", ["a"], 1, LongLease, Ct)).Claimed);
        Assert.True(await store.CompleteAsync(new Completion(claim.Token, RunStatus.Succeeded, claim.OccurrenceAt, 1, now,
            TimeSpan.FromSeconds(1), null, null, now.AddHours(1), now.AddHours(1), 1), Ct));
    }

    [Fact]
    public async Task Two_schemas_in_one_database_are_independent()
    {
        var connectionString = await _server.CreateDatabaseAsync("two");
        var first = Store(connectionString, "dc_one");
        var second = Store(connectionString, "dc_two");
        await first.MigrateAsync(Ct);
        await second.MigrateAsync(Ct);
        var now = await first.GetDatabaseTimeAsync(Ct);

        await first.SeedAsync(App, [Job("only-in-one", now.AddHours(1))], Ct);

        Assert.Single(await first.ListJobsAsync(App, Ct));
        Assert.Empty(await second.ListJobsAsync(App, Ct));
    }

    [Theory]
    [InlineData("x; drop")]
    [InlineData("distcron; DROP SCHEMA public CASCADE; --")]
    [InlineData("Public")]
    [InlineData("\"quoted\"")]
    [InlineData("")]
    [InlineData("1abc")]
    public async Task A_schema_name_that_is_not_a_plain_identifier_is_rejected_before_any_sql(string schema)
    {
        var connectionString = await _server.CreateDatabaseAsync("inj");
        var dataSource = DataSource(connectionString);

        var error = Assert.Throws<ArgumentException>(() => new PostgresJobStore(dataSource, schema));
        Assert.Contains("schema name", error.Message);
        Assert.Throws<ArgumentException>(() => PostgresJobStore.GetSchemaSql(schema));
        // Nothing reached the database.
        Assert.Equal(0L, await ScalarAsync<long>(connectionString, "select count(*) from pg_namespace where nspname not like 'pg_%' and nspname not in ('public', 'information_schema')"));
    }

    // ------------------------------------------------------------------ seeding

    [Fact]
    public async Task Ten_nodes_seeding_at_the_same_instant_neither_fail_nor_duplicate()
    {
        var (connectionString, first) = await FreshAsync("seed");
        var now = await first.GetDatabaseTimeAsync(Ct);
        var nodes = Enumerable.Range(0, 10).Select(_ => Store(connectionString)).ToList();
        // Same jobs in different orders per node, half of them with a changed definition on odd nodes: the worst
        // case for lock ordering. The store sorts, so nobody deadlocks.
        var batches = nodes.Select((_, n) => Enumerable.Range(0, 200)
            .Select(i => Job($"job{i:000}", now.AddMinutes(i), hash: n % 2 == 1 && i % 2 == 0 ? "h2" : "h1"))
            .OrderBy(j => (j.Name.GetHashCode() ^ n)).ToList()).ToList();
        using var start = new ManualResetEventSlim();

        for (var round = 0; round < 3; round++)
        {
            start.Reset();
            var seeds = nodes.Select((s, n) => Task.Run(async () => { start.Wait(); await s.SeedAsync(App, batches[n], Ct); })).ToList();
            start.Set();
            await Task.WhenAll(seeds);
        }

        Assert.Equal(200L, await ScalarAsync<long>(connectionString, $"select count(*) from distcron.jobs where app = '{App}'"));
        Assert.Equal(200L, await ScalarAsync<long>(connectionString, $"select count(distinct name) from distcron.jobs where app = '{App}'"));
    }

    [Fact]
    public async Task Reseeding_leaves_unchanged_rows_physically_untouched()
    {
        var (connectionString, store) = await FreshAsync("xmin");
        var now = await store.GetDatabaseTimeAsync(Ct);
        await store.SeedAsync(App, [Job("same", now.AddHours(1)), Job("changed", now.AddHours(1)), Job("orphan", now.AddHours(1))], Ct);
        await store.RegisterNodeAsync(new NodeInfo(App, "n1", "host", 1, ["same", "changed"]), TimeSpan.FromMinutes(5), Ct);
        async Task<Dictionary<string, string>> VersionsAsync()
        {
            await using var dataSource = NpgsqlDataSource.Create(connectionString);
            await using var command = dataSource.CreateCommand($"select name, xmin::text || '/' || updated_at::text from distcron.jobs where app = '{App}'");
            await using var reader = await command.ExecuteReaderAsync();
            var versions = new Dictionary<string, string>();
            while (await reader.ReadAsync()) versions[reader.GetString(0)] = reader.GetString(1);
            return versions;
        }

        var before = await VersionsAsync();
        Assert.True((await store.ListJobsAsync(App, Ct)).Single(j => j.Name == "orphan").Orphaned);

        await store.SeedAsync(App, [Job("same", now.AddHours(3)), Job("changed", now.AddHours(3), "h2"), Job("orphan", now.AddHours(3))], Ct);

        var after = await VersionsAsync();
        Assert.Equal(before["same"], after["same"]);
        Assert.NotEqual(before["changed"], after["changed"]);
        Assert.NotEqual(before["orphan"], after["orphan"]);

        // A heartbeat that changes nobody's orphan state writes no job row either.
        await store.RegisterNodeAsync(new NodeInfo(App, "n1", "host", 1, ["same", "changed", "orphan"]), TimeSpan.FromMinutes(5), Ct);
        Assert.Equal(after, await VersionsAsync());
    }

    [Fact]
    public async Task Many_nodes_registering_and_seeding_at_once_never_deadlock_and_agree_on_orphans()
    {
        var (connectionString, first) = await FreshAsync("reg");
        var now = await first.GetDatabaseTimeAsync(Ct);
        var all = Enumerable.Range(0, 60).Select(i => $"j{i:00}").ToArray();
        await first.SeedAsync(App, all.Select(n => Job(n, now.AddHours(1))).ToList(), Ct);
        var nodes = Enumerable.Range(0, 10).Select(_ => Store(connectionString)).ToList();
        // Node i has code for every job except those with index % 10 == i, and the last 10 jobs nobody has.
        string[] NamesOf(int node) => all.Where((_, j) => j < 50 && j % 10 != node).Reverse().ToArray();
        using var go = new ManualResetEventSlim();

        var work = nodes.Select((store, i) => Task.Run(async () =>
        {
            go.Wait();
            for (var round = 0; round < 5; round++)
            {
                await store.RegisterNodeAsync(new NodeInfo(App, $"node{i}", "host", i, NamesOf(i)), TimeSpan.FromMinutes(5), Ct);
                await store.SeedAsync(App, NamesOf(i).Select(n => Job(n, now.AddHours(1))).ToList(), Ct);
            }
        })).ToList();
        go.Set();
        await Task.WhenAll(work);
        await first.RegisterNodeAsync(new NodeInfo(App, "node0", "host", 0, NamesOf(0)), TimeSpan.FromMinutes(5), Ct);

        var jobs = await first.ListJobsAsync(App, Ct);
        Assert.Equal(all, jobs.Select(j => j.Name));
        Assert.Equal(all.Skip(50), jobs.Where(j => j.Orphaned).Select(j => j.Name));
        Assert.Equal(10L, await ScalarAsync<long>(connectionString, $"select count(*) from distcron.nodes where app = '{App}'"));
    }

    [Fact]
    public async Task Release_mark_errored_and_seed_each_wake_a_listening_waiter_of_the_same_app()
    {
        var (connectionString, waiter) = await FreshAsync("wake");
        var writer = Store(connectionString);
        var now = await writer.GetDatabaseTimeAsync(Ct);
        Assert.True(await waiter.WaitForSignalAsync(App, Deadline, Ct)); // listening (a connect wakes once)
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

        await AssertWakesAsync(() => writer.SeedAsync(App, [Job("a", now.AddSeconds(-1)), Job("b", now.AddSeconds(-1))], Ct), "seed");
        var claims = (await writer.ClaimDueAsync(App, "w", ["a", "b"], 2, LongLease, Ct)).Claimed;
        await AssertWakesAsync(async () => Assert.True(await writer.ReleaseAsync(claims.Single(c => c.Token.JobName == "a").Token, Ct)), "release");
        await AssertWakesAsync(() => writer.MarkErroredAsync(claims.Single(c => c.Token.JobName == "b").Token, "bad time zone", Ct), "mark errored");
    }

    [Fact]
    public async Task Registering_prunes_nodes_silent_for_a_day_but_keeps_recently_dead_ones_and_other_apps()
    {
        var (connectionString, store) = await FreshAsync("prune");
        await ExecuteAsync(connectionString, $$"""
            insert into distcron.nodes (app, node_id, host, pid, started_at, heartbeat_at, job_names) values
              ('{{App}}', 'gone', 'h', 1, now() - interval '3 days', now() - interval '2 days', '{a}'),
              ('{{App}}', 'recent', 'h', 2, now() - interval '2 hours', now() - interval '1 hour', '{a}'),
              ('other-app', 'gone', 'h', 3, now() - interval '3 days', now() - interval '2 days', '{a}')
            """);

        await store.RegisterNodeAsync(new NodeInfo(App, "me", "h", 4, ["a"]), TimeSpan.FromMinutes(5), Ct);

        Assert.Equal("other-app/gone,me,recent", await ScalarAsync<string>(connectionString,
            $"select string_agg(case when app = '{App}' then node_id else app || '/' || node_id end, ',' order by node_id, app) from distcron.nodes"));
    }

    // ------------------------------------------------------------------ claims

    [Fact]
    public async Task Nodes_racing_on_separate_pools_claim_each_occurrence_exactly_once()
    {
        const int jobs = 40, occurrences = 5, nodes = 8;
        var (connectionString, first) = await FreshAsync("race");
        var stores = Enumerable.Range(0, nodes).Select(_ => Store(connectionString)).ToList();
        var now = await first.GetDatabaseTimeAsync(Ct);
        var start = new DateTimeOffset(now.UtcTicks - now.UtcTicks % TimeSpan.TicksPerSecond, TimeSpan.Zero).AddHours(-1);
        var names = Enumerable.Range(0, jobs).Select(i => $"r{i:00}").ToArray();
        await first.SeedAsync(App, names.Select(n => Job(n, start)).ToList(), Ct);
        var claims = new ConcurrentBag<(string Job, DateTimeOffset Occurrence, long Fence)>();
        var lost = 0;
        using var go = new ManualResetEventSlim();

        async Task NodeAsync(PostgresJobStore store, string node)
        {
            go.Wait();
            while (claims.Count < jobs * occurrences)
            {
                var batch = await store.ClaimDueAsync(new ClaimRequest(App, node, 3, LongLease), Ct); // every job of the app
                if (batch.Claimed.Count == 0)
                {
                    if (batch.EarliestDueAt is null) return; // every job has run all its occurrences
                    await Task.Delay(5);
                    continue;
                }

                foreach (var claim in batch.Claimed)
                {
                    claims.Add((claim.Token.JobName, claim.OccurrenceAt, claim.Token.Fence));
                    DateTimeOffset? next = claim.OccurrenceAt < start.AddSeconds(occurrences - 1) ? claim.OccurrenceAt.AddSeconds(1) : null;
                    var completion = new Completion(claim.Token, RunStatus.Succeeded, claim.OccurrenceAt, claim.Attempt, claim.DueAt,
                        TimeSpan.FromMilliseconds(1), null, null, next, next, 1);
                    if (!await store.CompleteAsync(completion, Ct)) Interlocked.Increment(ref lost);
                }
            }
        }

        var tasks = stores.SelectMany((s, i) => new[] { Task.Run(() => NodeAsync(s, $"n{i}a")), Task.Run(() => NodeAsync(s, $"n{i}b")) }).ToList();
        go.Set();
        await Task.WhenAll(tasks);

        Assert.Equal(0, lost);
        Assert.Equal(jobs * occurrences, claims.Count);
        Assert.All(claims.GroupBy(c => (c.Job, c.Occurrence)), g => Assert.Single(g));
        Assert.All(claims.GroupBy(c => c.Job), g => Assert.Equal(Enumerable.Range(1, occurrences).Select(i => (long)i), g.Select(c => c.Fence).Order()));
        Assert.Equal(0L, await ScalarAsync<long>(connectionString,
            "select count(*) from (select 1 from distcron.runs group by job_name, occurrence_at having count(*) > 1) d"));
        Assert.Equal((long)(jobs * occurrences), await ScalarAsync<long>(connectionString, "select count(*) from distcron.runs"));
    }

    [Fact]
    public async Task A_claim_never_waits_on_a_row_another_session_holds_locked()
    {
        var (connectionString, store) = await FreshAsync("skip");
        var now = await store.GetDatabaseTimeAsync(Ct);
        await store.SeedAsync(App, [Job("locked", now.AddSeconds(-2)), Job("free", now.AddSeconds(-1))], Ct);
        await using var holder = new NpgsqlConnection(connectionString);
        await holder.OpenAsync();
        await using var transaction = await holder.BeginTransactionAsync();
        await using (var lockRow = new NpgsqlCommand($"select 1 from distcron.jobs where app = '{App}' and name = 'locked' for update", holder, transaction))
        {
            await lockRow.ExecuteNonQueryAsync();
        }

        // If the claim waited on the lock it would hang until the transaction ends, which happens only after it.
        var claiming = store.ClaimDueAsync(App, "n1", ["locked", "free"], 10, LongLease, Ct);
        Assert.Same(claiming, await Task.WhenAny(claiming, Task.Delay(Deadline)));
        var batch = await claiming;
        Assert.Equal("free", Assert.Single(batch.Claimed).Token.JobName);
        Assert.True(batch.EarliestDueAt <= batch.DatabaseNow, "the skipped row is still due: the caller should poll again soon");

        await transaction.RollbackAsync();
        Assert.Equal("locked", Assert.Single((await store.ClaimDueAsync(App, "n1", ["locked", "free"], 10, LongLease, Ct)).Claimed).Token.JobName);
    }

    [Fact]
    public async Task A_claim_resumes_after_the_last_row_the_previous_one_took_and_leaves_rows_behind_it_to_a_claim_from_the_start()
    {
        var (connectionString, store) = await FreshAsync("resume");
        var now = await store.GetDatabaseTimeAsync(Ct);
        var due = now.AddSeconds(-5);
        // Four rows due at one instant (ordered by name after the due time), one a millisecond later.
        await store.SeedAsync(App, [Job("a", due), Job("b", due), Job("c", due), Job("d", due), Job("e", due.AddMilliseconds(1))], Ct);
        ClaimRequest Request(int max, ClaimCursor? after) => new(App, "n1", max, LongLease) { After = after };

        var first = await store.ClaimDueAsync(Request(2, null), Ct);
        Assert.Equal(["a", "b"], first.Claimed.Select(c => c.Token.JobName).Order());
        Assert.Equal(new ClaimCursor(due, "b"), first.Resume);

        // Row a goes back behind the position (its claim is released): a resumed claim leaves it alone…
        Assert.True(await store.ReleaseAsync(first.Claimed.Single(c => c.Token.JobName == "a").Token, Ct));
        var second = await store.ClaimDueAsync(Request(2, first.Resume), Ct);
        Assert.Equal(["c", "d"], second.Claimed.Select(c => c.Token.JobName).Order());
        Assert.Equal(new ClaimCursor(due, "d"), second.Resume);
        var third = await store.ClaimDueAsync(Request(5, second.Resume), Ct);
        Assert.Equal("e", Assert.Single(third.Claimed).Token.JobName);
        Assert.Equal(new ClaimCursor(due.AddMilliseconds(1), "e"), third.Resume);

        // …but reports it as due now, since its batch was not full (the node then claims again, from the start)…
        Assert.True(third.EarliestDueAt <= third.DatabaseNow, $"next due {third.EarliestDueAt:O}, database now {third.DatabaseNow:O}");
        // …and a claim from the start takes it.
        var fromStart = await store.ClaimDueAsync(Request(5, null), Ct);
        Assert.Equal("a", Assert.Single(fromStart.Claimed).Token.JobName);
    }

    [Fact]
    public async Task A_stolen_fence_makes_heartbeat_verify_release_and_complete_fail()
    {
        var (connectionString, store) = await FreshAsync("steal");
        var now = await store.GetDatabaseTimeAsync(Ct);
        await store.SeedAsync(App, [Job("a", now.AddSeconds(-1))], Ct);
        var claim = Assert.Single((await store.ClaimDueAsync(App, "n1", ["a"], 1, LongLease, Ct)).Claimed);
        Assert.True(await store.HeartbeatAsync(claim.Token, LongLease, Ct));

        // Another writer bumped the fence (what a takeover does), even with the same owner name.
        await ExecuteAsync(connectionString, $"update distcron.jobs set fence = fence + 1 where app = '{App}' and name = 'a'");

        Assert.False(await store.HeartbeatAsync(claim.Token, LongLease, Ct));
        Assert.False(await store.VerifyAsync(claim.Token, Ct));
        Assert.False(await store.CompleteAsync(new Completion(claim.Token, RunStatus.Failed, claim.OccurrenceAt, 1, now,
            TimeSpan.FromSeconds(1), "E", "boom", now.AddHours(1), now.AddHours(1), 1), Ct));
        Assert.False(await store.ReleaseAsync(claim.Token, Ct));
        await store.MarkErroredAsync(claim.Token, "stale writer", Ct);
        var row = Assert.Single(await store.ListJobsAsync(App, Ct));
        Assert.Null(row.Error);
        Assert.Null(row.LastStatus);
        Assert.Equal(now.AddSeconds(-1), row.NextDueAt);
        Assert.Equal(0L, await ScalarAsync<long>(connectionString, "select count(*) from distcron.runs"));
    }

    [Fact]
    public async Task A_steady_re_registration_skips_the_orphan_recompute_until_the_live_node_set_changes()
    {
        var (connectionString, store) = await FreshAsync("register-gate");
        var now = await store.GetDatabaseTimeAsync(Ct);
        var window = TimeSpan.FromMinutes(5);
        await store.SeedAsync(App, [Job("a", now.AddHours(1)), Job("b", now.AddHours(1))], Ct);
        await store.RegisterNodeAsync(new NodeInfo(App, "n1", "h1", 1, ["a"]), window, Ct);
        await store.RegisterNodeAsync(new NodeInfo(App, "n2", "h2", 2, ["b"]), window, Ct);
        await store.RegisterNodeAsync(new NodeInfo(App, "n1", "h1", 1, ["a"]), window, Ct); // n1 now knows n2
        Assert.All(await store.ListJobsAsync(App, Ct), j => Assert.False(j.Orphaned));

        // A flag out of line with the live nodes (written by hand here) proves whether a registration recomputed.
        await ExecuteAsync(connectionString, "UPDATE distcron.jobs SET orphaned = true WHERE name = 'a'");
        await store.RegisterNodeAsync(new NodeInfo(App, "n1", "h1", 1, ["a"]), window, Ct);
        Assert.True((await store.ListJobsAsync(App, Ct)).Single(j => j.Name == "a").Orphaned, "a steady re-registration recomputed");

        // n2 falls silent: n1's next registration sees a different live set and recomputes every flag.
        await ExecuteAsync(connectionString, "UPDATE distcron.nodes SET heartbeat_at = now() - interval '1 hour' WHERE node_id = 'n2'");
        await store.RegisterNodeAsync(new NodeInfo(App, "n1", "h1", 1, ["a"]), window, Ct);
        var jobs = (await store.ListJobsAsync(App, Ct)).ToDictionary(j => j.Name);
        Assert.False(jobs["a"].Orphaned);
        Assert.True(jobs["b"].Orphaned);

        // A changed job-name set recomputes too, and a new store instance (a restart) starts by recomputing.
        await store.RegisterNodeAsync(new NodeInfo(App, "n1", "h1", 1, ["a", "b"]), window, Ct);
        Assert.False((await store.ListJobsAsync(App, Ct)).Single(j => j.Name == "b").Orphaned);
        await ExecuteAsync(connectionString, "UPDATE distcron.jobs SET orphaned = true WHERE name = 'a'");
        await Store(connectionString).RegisterNodeAsync(new NodeInfo(App, "n1", "h1", 1, ["a", "b"]), window, Ct);
        Assert.False((await store.ListJobsAsync(App, Ct)).Single(j => j.Name == "a").Orphaned);
    }

    // ------------------------------------------------------------------ signals

    [Fact]
    public async Task A_claim_released_on_another_node_wakes_a_listening_waiter()
    {
        var (connectionString, waiterNode) = await FreshAsync("notify");
        var workerNode = Store(connectionString);
        var now = await waiterNode.GetDatabaseTimeAsync(Ct);
        await workerNode.SeedAsync(App, [Job("a", now.AddSeconds(-1))], Ct);
        var claim = Assert.Single((await workerNode.ClaimDueAsync(App, "worker", ["a"], 1, LongLease, Ct)).Claimed);

        // Start listening and drain the wake-up every (re)connect delivers.
        Assert.True(await waiterNode.WaitForSignalAsync(App, Deadline, Ct));
        Assert.True(waiterNode.IsListening);
        var wait = waiterNode.WaitForSignalAsync(App, TimeSpan.FromMinutes(10), Ct);
        Assert.False(wait.IsCompleted);

        // A node shutting down hands an unstarted claim back: other nodes must not wait for their next poll.
        Assert.True(await workerNode.ReleaseAsync(claim.Token, Ct));

        Assert.Same(wait, await Task.WhenAny(wait, Task.Delay(Deadline)));
        Assert.True(await wait);
    }

    [Fact]
    public async Task A_completion_never_wakes_the_fleet_but_a_trigger_request_does()
    {
        var (connectionString, store) = await FreshAsync("notify-rule");
        var now = await store.GetDatabaseTimeAsync(Ct);
        await store.SeedAsync(App, [Job("later", now.AddSeconds(-1)), Job("soon", now.AddSeconds(-1)), Job("retry", now.AddSeconds(-1)),
            Job("triggered", now.AddSeconds(-1))], Ct);
        var claims = (await store.ClaimDueAsync(App, "worker", ["later", "soon", "retry", "triggered"], 4, LongLease, Ct)).Claimed
            .ToDictionary(c => c.Token.JobName);
        Assert.Equal(4, claims.Count);

        // A raw listener counts notifications; a marker NOTIFY sent after each completion commits is delivered after
        // anything that completion sent (notifications arrive in commit order), so "nothing before the marker" is exact.
        await using var listener = new NpgsqlConnection(connectionString);
        await listener.OpenAsync(Ct);
        var received = new ConcurrentQueue<string>();
        listener.Notification += (_, e) => received.Enqueue(e.Payload);
        await using (var listen = new NpgsqlCommand("LISTEN distcron_distcron; LISTEN test_marker", listener)) await listen.ExecuteNonQueryAsync(Ct);

        async Task<List<string>> PayloadsAfterAsync(Func<Task> write, string marker)
        {
            await write();
            await using (var notify = new NpgsqlCommand($"NOTIFY test_marker, '{marker}'", listener)) await notify.ExecuteNonQueryAsync(Ct);
            var payloads = new List<string>();
            using var limit = new CancellationTokenSource(Deadline);
            while (true)
            {
                while (received.TryDequeue(out var payload))
                {
                    if (payload == marker) return payloads;
                    payloads.Add(payload);
                }

                await listener.WaitAsync(limit.Token);
            }
        }

        Completion Done(ClaimedJob c, RunStatus status, DateTimeOffset next, int attempt) =>
            new(c.Token, status, c.OccurrenceAt, c.Attempt, now, TimeSpan.FromSeconds(1), null, null, next, next, attempt);

        // The completing node claims whatever its completion leaves due: no completion wakes the fleet, whether the
        // next occurrence is an hour away, half a second away, or a retry due now.
        Assert.Empty(await PayloadsAfterAsync(
            async () => Assert.True(await store.CompleteAsync(Done(claims["later"], RunStatus.Succeeded, now.AddHours(1), 1), Ct)), "m1"));
        Assert.Empty(await PayloadsAfterAsync(
            async () => Assert.True(await store.CompleteAsync(Done(claims["soon"], RunStatus.Succeeded, (await store.GetDatabaseTimeAsync(Ct)).AddMilliseconds(500), 1), Ct)), "m1s"));
        Assert.Empty(await PayloadsAfterAsync(
            async () => Assert.True(await store.CompleteAsync(Done(claims["retry"], RunStatus.Failed, now, 2), Ct)), "m2"));

        // A trigger request does wake the fleet (any node may take it), and the completion of a run during which a
        // trigger arrived still does not: its own node claims the pending trigger next.
        Assert.Equal([App], await PayloadsAfterAsync(async () => Assert.True(await store.TriggerAsync(App, "triggered", Ct)), "m3t"));
        Assert.Empty(await PayloadsAfterAsync(
            async () => Assert.True(await store.CompleteAsync(Done(claims["triggered"], RunStatus.Succeeded, now.AddHours(1), 1), Ct)), "m3"));
    }

    [Fact]
    public async Task Disposing_the_store_unsubscribes_its_listen_connection_before_it_returns_to_the_pool()
    {
        var connectionString = await _server.CreateDatabaseAsync("unlisten");
        var dataSource = DataSource(connectionString);
        var store = new PostgresJobStore(dataSource);
        await store.MigrateAsync(Ct);
        var database = new NpgsqlConnectionStringBuilder(connectionString).Database;
        var subscribedSessions = $"select count(*) from pg_stat_activity where datname = '{database}' and query = 'LISTEN distcron_distcron'";
        Assert.True(await store.WaitForSignalAsync(App, Deadline, Ct)); // listening
        Assert.Equal(1L, await ScalarAsync<long>(connectionString, subscribedSessions));

        await store.DisposeAsync();

        // The pooled connection lives on in the caller's data source, but no longer subscribed.
        await Eventually.TrueAsync(async () => await ScalarAsync<long>(connectionString, subscribedSessions) == 0, "the LISTEN session is unsubscribed");
        await using var command = dataSource.CreateCommand("select count(*) from pg_listening_channels()");
        Assert.Equal(0L, (long)(await command.ExecuteScalarAsync())!);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => store.WaitForSignalAsync(App, TimeSpan.FromSeconds(1), Ct));
    }

    [Fact]
    public async Task Without_a_reachable_server_waiting_degrades_to_a_plain_delay_and_logs_no_secret()
    {
        var secret = "wrong-secret-" + Guid.NewGuid().ToString("N");
        var connectionString = new NpgsqlConnectionStringBuilder(_server.ConnectionString()) { Password = secret }.ConnectionString;
        var logger = new CapturingLogger();
        var store = Store(connectionString, logger: logger);

        Assert.False(await store.WaitForSignalAsync(App, TimeSpan.FromMilliseconds(200), Ct));
        await Eventually.TrueAsync(() => Task.FromResult(logger.Entries.Any(e => e.Level == LogLevel.Warning)), "the LISTEN failure is logged");
        Assert.False(await store.WaitForSignalAsync(App, TimeSpan.FromMilliseconds(200), Ct));
        Assert.False(store.IsListening);
        Assert.All(logger.Entries, e =>
        {
            Assert.DoesNotContain(secret, e.Message);
            Assert.DoesNotContain(_server.Password, e.Message);
        });
    }

    // ------------------------------------------------------------------ secrets, restarts

    [Fact]
    public async Task A_wrong_password_fails_with_an_error_that_does_not_contain_the_password()
    {
        var secret = "wrong-secret-" + Guid.NewGuid().ToString("N");
        var connectionString = new NpgsqlConnectionStringBuilder(_server.ConnectionString()) { Password = secret }.ConnectionString;
        var store = Store(connectionString);

        var migrate = await Assert.ThrowsAnyAsync<Exception>(() => store.MigrateAsync(Ct));
        var claim = await Assert.ThrowsAnyAsync<Exception>(() => store.ClaimDueAsync(new ClaimRequest(App, "n1", 1, LongLease), Ct));

        foreach (var error in new[] { migrate, claim })
        {
            var postgres = Assert.IsType<PostgresException>(error);
            Assert.Equal("28P01", postgres.SqlState);
            Assert.DoesNotContain(secret, error.ToString());
            Assert.DoesNotContain(_server.Password, error.ToString());
        }
    }

    [Fact]
    public async Task After_an_immediate_server_restart_the_store_and_its_listener_work_again()
    {
        var server = await PostgresServer.StartAsync(crashSafe: true);
        lock (_owned) _owned.Insert(0, server); // disposed last
        var connectionString = await server.CreateDatabaseAsync("restart");
        var store = Store(connectionString);
        var observer = Store(connectionString);
        await store.MigrateAsync(Ct);
        var now = await store.GetDatabaseTimeAsync(Ct);
        await store.SeedAsync(App, [Job("a", now.AddSeconds(-1)), Job("b", now.AddSeconds(-1))], Ct);
        Assert.True(await observer.WaitForSignalAsync(App, Deadline, Ct)); // listening
        Assert.Single((await store.ClaimDueAsync(App, "n1", ["a"], 1, LongLease, Ct)).Claimed);

        await server.RestartAsync(immediate: true);

        // Pooled connections the crash cut fail once each; the pool then opens fresh ones.
        ClaimBatch? batch = null;
        await Eventually.TrueAsync(async () =>
        {
            try { batch = await store.ClaimDueAsync(App, "n1", ["a", "b"], 5, LongLease, Ct); return true; }
            catch (NpgsqlException) { return false; }
        }, "the store answers again after the restart");
        Assert.Equal("b", Assert.Single(batch!.Claimed).Token.JobName);
        for (var i = 0; i < 5; i++) Assert.NotEmpty(await store.ListJobsAsync(App, Ct));

        // The listener reconnects by itself (and wakes its waiters once, since it may have missed signals).
        await Eventually.TrueAsync(() => Task.FromResult(observer.IsListening), "the listener reconnects");
        while (await observer.WaitForSignalAsync(App, TimeSpan.Zero, Ct)) { } // drain
        var wait = observer.WaitForSignalAsync(App, TimeSpan.FromMinutes(10), Ct);
        await store.SeedAsync(App, [Job("c", now.AddHours(1))], Ct);
        Assert.Same(wait, await Task.WhenAny(wait, Task.Delay(Deadline)));
        Assert.True(await wait);
    }

    private sealed class CapturingLogger : ILogger
    {
        public ConcurrentQueue<(LogLevel Level, string Message)> Entries { get; } = new();
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Enqueue((logLevel, formatter(state, exception) + (exception is null ? "" : "\n" + exception)));
    }
}
