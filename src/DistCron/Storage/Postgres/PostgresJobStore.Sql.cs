namespace DistCron.Storage.Postgres;

// The statements of the PostgreSQL store, one place to read the dialect; PostgresJobStore.cs runs them.
internal sealed partial class PostgresJobStore
{
    // ---- SQL ({schema} is replaced by the validated schema name; everything else is a parameter) ----

    // The fingerprint of the other live nodes of an app: RegisterNodeSql returns it, and a claim that keeps the
    // registration alive compares it with the one the last registration saw (a node joined, left or fell silent).
    private const string OtherLiveNodesFingerprintSql = """
        SELECT md5(@live_window::text || ':' || coalesce(string_agg(node_id, ',' ORDER BY node_id), '')) AS fingerprint
        FROM {schema}.nodes
        WHERE app = @app AND node_id <> @node AND heartbeat_at > now() - @live_window
        """;

    // @skip (ClaimRequest.ExcludedNames) holds the few jobs this node must not take: those it still runs, and those it
    // has no code for. It is a filter on the rows read, never an index condition: the scan walks jobs_claim_order_idx in
    // claim order and stops after @max rows.
    internal const string ClaimSql = $$"""
        WITH due AS MATERIALIZED (
            -- Due by schedule (or within @ahead), in claim order, straight from jobs_claim_order_idx: O(batch), not O(jobs).
            -- The index scan starts after the position passed as ClaimRequest.After ('-infinity' from the start).
            -- From the start, it walks every entry before the first claimable row: the leased rows, and the dead entries
            -- every completion leaves behind when it moves a row's next_due_at, which only VACUUM removes. Under load
            -- those far outnumber the batch until autovacuum runs (figures: docs/benchmarks.md).
            SELECT app, name, next_due_at AS due_at, false AS manual FROM {schema}.jobs
            WHERE app = @app AND NOT paused AND error IS NULL AND next_due_at <= now() + @ahead
              AND (next_due_at, name) > (@after_due, @after_name)
              AND (lease_until IS NULL OR lease_until <= now()) AND name <> ALL(@skip)
            ORDER BY next_due_at, name
            LIMIT @max
            FOR UPDATE SKIP LOCKED
        ), triggered AS MATERIALIZED (
            -- A pending manual trigger (rare; jobs_trigger_idx) makes a row claimable even when paused or not due: a
            -- manual run, whose "occurrence" and due time are the request time and whose completion keeps the schedule.
            SELECT app, name, trigger_requested_at AS due_at, (paused OR next_due_at IS NULL OR next_due_at > now() + @ahead) AS manual
            FROM {schema}.jobs
            WHERE app = @app AND trigger_requested_at <= now() AND error IS NULL AND NOT disabled
              AND (lease_until IS NULL OR lease_until <= now()) AND name <> ALL(@skip)
              AND name NOT IN (SELECT name FROM due)
            ORDER BY trigger_requested_at, name
            LIMIT @max
            FOR UPDATE SKIP LOCKED
        ), candidates AS MATERIALIZED (
            SELECT app, name, manual FROM (SELECT * FROM due UNION ALL SELECT * FROM triggered) c
            ORDER BY due_at, name
            LIMIT @max
        ), claimed AS (
            UPDATE {schema}.jobs j
            -- LEAST: a fence edited up to the largest bigint must not make the whole claim overflow (the runner errors that row).
            SET owner_node = @node, fence = LEAST(j.fence, 9223372036854775806) + 1, lease_until = now() + @lease, claimed_at = now(),
                claimed_manual = c.manual
            FROM candidates c
            WHERE j.app = c.app AND j.name = c.name
            RETURNING j.name, j.fence,
                      CASE WHEN c.manual THEN j.trigger_requested_at ELSE coalesce(j.occurrence_at, j.next_due_at) END AS occurrence_at,
                      CASE WHEN c.manual THEN 1 ELSE j.attempt END AS attempt,
                      CASE WHEN c.manual THEN j.trigger_requested_at ELSE j.next_due_at END AS next_due_at,
                      j.lease_until, j.schedule, j.time_zone, j.definition_hash, c.manual, j.schedule_rev
        ), earliest AS (
            -- Rows already due but not claimed here: claimable right now when nobody holds them (skipped as locked, or
            -- beyond @max; the snapshot still shows this statement's claims as unclaimed, hence NOT IN claimed), else
            -- when the first live lease among them ends. The first question stops at the first such row in index
            -- order; only when there is none (no backlog) are the leased due rows, as many as jobs running in the
            -- fleet, read for their earliest lease end. Never O(backlog).
            SELECT CASE WHEN EXISTS (
                       SELECT 1 FROM {schema}.jobs
                       WHERE app = @app AND NOT paused AND error IS NULL AND next_due_at <= now() + @ahead
                         AND (lease_until IS NULL OR lease_until <= now()) AND name <> ALL(@skip)
                         AND name NOT IN (SELECT name FROM claimed))
                   THEN now()
                   ELSE (SELECT min(lease_until) FROM {schema}.jobs
                         WHERE app = @app AND NOT paused AND error IS NULL AND next_due_at <= now() + @ahead
                           AND lease_until > now() AND name <> ALL(@skip))
                   END AS due_at
            UNION ALL
            -- Pending manual triggers (rare; their own index).
            SELECT min(CASE WHEN lease_until > now() THEN lease_until ELSE trigger_requested_at END)
            FROM {schema}.jobs
            WHERE app = @app AND trigger_requested_at <= now() AND error IS NULL AND NOT disabled AND name <> ALL(@skip)
              AND name NOT IN (SELECT name FROM claimed)
            UNION ALL
            -- The first row due later. (A live lease past a future due time is rare, after a re-seed; waking at the
            -- due time is then merely early, never late.)
            (SELECT next_due_at FROM {schema}.jobs
             WHERE app = @app AND NOT paused AND error IS NULL AND next_due_at > now() + @ahead AND name <> ALL(@skip)
             ORDER BY next_due_at
             LIMIT 1)
        ), beat AS (
            -- The node's registration kept alive by its polls (ClaimRequest.NodeLiveWindow): the heartbeat is written at
            -- most every sixth of the live window, and only while the node is still live. A node that fell silent is
            -- told to register in full instead, because the other nodes may have flagged its jobs orphaned meanwhile.
            UPDATE {schema}.nodes SET heartbeat_at = now()
            WHERE @live_window IS NOT NULL AND app = @app AND node_id = @node
              AND heartbeat_at > now() - @live_window AND heartbeat_at <= now() - @live_window / 6
            RETURNING 1
        )
        -- A full batch means the caller claims again at once: report now() and skip 'earliest', whose min over the
        -- due rows grows with the backlog. CASE evaluates the subquery only on the branch taken.
        -- The clock reading is clock_timestamp(), taken as the result is produced: now() is the statement's start, and
        -- a node that anchored its clock estimate on it lagged the database by the whole claim, so jobs
        -- claimed ahead started that late. The decisions above all use now().
        SELECT clock_timestamp(), e.due_at, m.self_live, m.fingerprint, c.name, c.fence, c.occurrence_at, c.attempt, c.next_due_at,
               c.lease_until, c.schedule, c.time_zone, c.definition_hash, c.manual, r.next_due_at, r.name, c.schedule_rev,
               m.pauses_ended
        FROM (SELECT CASE WHEN (SELECT count(*) FROM claimed) >= @max THEN now()
                          ELSE (SELECT min(due_at) FROM earliest) END AS due_at) e
             CROSS JOIN (SELECT
                 CASE WHEN @live_window IS NOT NULL THEN EXISTS (
                     SELECT 1 FROM {schema}.nodes
                     WHERE app = @app AND node_id = @node AND heartbeat_at > now() - @live_window) END AS self_live,
                 CASE WHEN @live_window IS NOT NULL THEN ({{OtherLiveNodesFingerprintSql}}) END AS fingerprint,
                 -- ClaimBatch.PausesEnded: a timed pause is over (jobs_pause_until_idx holds only timed pauses, so this
                 -- reads nothing while none is): the node ends it, and an idle node sends no other statement for it.
                 EXISTS (SELECT 1 FROM {schema}.jobs WHERE app = @app AND paused AND pause_until <= now()) AS pauses_ended) m
             -- ClaimBatch.Resume: the last row claimed by schedule, in the index's order (the column's collation).
             LEFT JOIN (SELECT next_due_at, name FROM claimed WHERE NOT manual ORDER BY next_due_at DESC, name DESC LIMIT 1) r ON true
             LEFT JOIN claimed c ON true
        """;

    // One round trip for a whole claim batch, right before its runs start.
    internal const string VerifySql = """
        SELECT j.app, j.name, j.owner_node, j.fence
        FROM unnest(@apps, @names, @nodes, @fences) AS c(app, name, node, fence)
        JOIN {schema}.jobs j ON j.app = c.app AND j.name = c.name
        WHERE j.owner_node = c.node AND j.fence = c.fence AND j.lease_until > now()
        """;

    private const string HeartbeatSql = """
        UPDATE {schema}.jobs SET lease_until = now() + @lease
        WHERE app = @app AND name = @name AND owner_node = @node AND fence = @fence
        """;

    // One round trip: the history row is inserted only when the fenced update matched (a lost claim writes nothing).
    // The schedule fields were computed by the node from the schedule state it claimed (@schedule_rev). When the row's
    // revision moved on during the run (a new definition seeded, a resume with a new due time), they belong to a state
    // that no longer exists: the outcome is recorded and the claim cleared, the row's own due time stands. (The fence
    // already proves the claim is current; the revision proves the schedule state is.)
    internal const string CompleteSql = """
        WITH done AS (
            UPDATE {schema}.jobs
            SET owner_node = NULL, lease_until = NULL, claimed_at = NULL,
                -- A manual run leaves the schedule alone; any run claimed after a trigger request satisfies it.
                next_due_at = CASE WHEN @manual OR schedule_rev <> coalesce(@schedule_rev, schedule_rev) THEN next_due_at ELSE @next_due_at END,
                occurrence_at = CASE WHEN @manual OR schedule_rev <> coalesce(@schedule_rev, schedule_rev) THEN occurrence_at ELSE @next_occurrence_at END,
                attempt = CASE WHEN @manual OR schedule_rev <> coalesce(@schedule_rev, schedule_rev) THEN attempt ELSE @next_attempt END,
                trigger_requested_at = CASE WHEN trigger_requested_at <= claimed_at THEN NULL ELSE trigger_requested_at END,
                last_status = @status, last_error = @last_error, last_node = @node,
                last_started_at = @started_at, last_finished_at = now(), last_duration_ms = @duration_ms,
                updated_at = now()
            WHERE app = @app AND name = @name AND owner_node = @node AND fence = @fence
            -- No NOTIFY: the completing node claims again as soon as the slot is free, so it takes whatever this
            -- completion leaves due (a retry, a catch-up, a trigger that arrived during the run, the next occurrence).
            -- Waking the fleet per completion made every node claim and find nothing, and NOTIFY serialises committing
            -- transactions on PostgreSQL's notification queue lock: under a backlog (every next occurrence already
            -- due) adding nodes lowered the fleet's throughput.
            RETURNING app, name
        ), run AS (
            INSERT INTO {schema}.runs (app, job_name, occurrence_at, attempt, node_id, fence, status, started_at,
                                       finished_at, duration_ms, error_type, error_message, manual)
            SELECT app, name, @occurrence_at, @attempt, @node, @fence, @status, @started_at,
                   now(), @duration_ms, @error_type, @error_message, @manual
            FROM done
            RETURNING 1
        )
        SELECT count(*) FROM run
        """;

    private const string ReleaseSql = """
        WITH released AS (
            UPDATE {schema}.jobs SET owner_node = NULL, lease_until = NULL, claimed_at = NULL
            WHERE app = @app AND name = @name AND owner_node = @node AND fence = @fence
            RETURNING pg_notify(@channel, @app)
        )
        SELECT count(*) FROM released
        """;

    // A row re-seeded with a new definition since the claim read the bad one is not marked: the claim is released and
    // the new definition runs at its own due time.
    private const string MarkErroredSql = """
        WITH errored AS (
            UPDATE {schema}.jobs
            SET error = CASE WHEN schedule_rev = coalesce(@schedule_rev, schedule_rev) THEN @reason ELSE error END,
                owner_node = NULL, lease_until = NULL, claimed_at = NULL, updated_at = now()
            WHERE app = @app AND name = @name AND owner_node = @node AND fence = @fence
            RETURNING pg_notify(@channel, @app)
        )
        SELECT count(*) FROM errored
        """;

    // Rows are locked in byte order of their names (COLLATE "C"), the order every statement that waits for several
    // job rows uses (the completion batch sorts ordinally, and job names are ASCII): in the database's collation
    // (ICU en-US sorts "a" before "B", bytes the other way round) a seed and a completion batch deadlocked (40P01).
    // An unchanged row (same hash, not orphaned, no error) is not touched at all: its due time survives restarts. An
    // orphaned row with an unchanged definition only stops being orphaned: its due time and attempt are the
    // occurrence (a catch-up, a pending retry) it missed while no node had its code.
    // Whether the seed rewrites the row's definition (another hash, or an orphaned or errored row), rather than only
    // fill in its declaration facts. A facts-only write leaves everything else as it is: a row whose schedule or zone
    // was damaged under an unchanged hash stays damaged, so the claim marks it errored instead of a seed hiding it.
    private const string Rewrites = "(j.definition_hash IS DISTINCT FROM excluded.definition_hash OR j.orphaned OR j.error IS NOT NULL)";

    // Whether a row's stored declaration facts need this seed's (excluded), given that its definition hash is the same.
    private const string FactsStale = """
        (j.options IS NULL OR j.options ->> 'definitionHash' IS DISTINCT FROM j.definition_hash
         OR j.declaring_type IS DISTINCT FROM excluded.declaring_type OR j.method_name IS DISTINCT FROM excluded.method_name)
        """;

    private const string SeedSql = $$"""
        WITH seeded AS (
            INSERT INTO {schema}.jobs AS j (app, name, schedule, time_zone, definition_hash, next_due_at, occurrence_at, definition_version, disabled, code_hash,
                                            declaring_type, method_name, options)
            SELECT @app, s.name, s.schedule, s.time_zone, s.definition_hash, s.next_due_at, s.next_due_at, s.definition_version, s.disabled, s.code_hash,
                   s.declaring_type, s.method_name, s.options::jsonb
            FROM unnest(@names, @schedules, @time_zones, @hashes, @due_at, @versions, @disabled, @code_hashes, @declaring_types, @method_names, @options)
                 AS s(name, schedule, time_zone, definition_hash, next_due_at, definition_version, disabled, code_hash, declaring_type, method_name, options)
            ORDER BY s.name COLLATE "C"
            ON CONFLICT (app, name) DO UPDATE
            SET schedule = CASE WHEN {{Rewrites}} THEN excluded.schedule ELSE j.schedule END,
                time_zone = CASE WHEN {{Rewrites}} THEN excluded.time_zone ELSE j.time_zone END,
                definition_hash = excluded.definition_hash,
                next_due_at = CASE WHEN j.definition_hash IS DISTINCT FROM excluded.definition_hash OR j.error IS NOT NULL
                                   THEN excluded.next_due_at ELSE j.next_due_at END,
                occurrence_at = CASE WHEN j.definition_hash IS DISTINCT FROM excluded.definition_hash OR j.error IS NOT NULL
                                     THEN excluded.next_due_at ELSE j.occurrence_at END,
                attempt = CASE WHEN j.definition_hash IS DISTINCT FROM excluded.definition_hash OR j.error IS NOT NULL
                               THEN 1 ELSE j.attempt END,
                -- Whenever the seed restarts the schedule state, a run in flight completes without overwriting it.
                schedule_rev = j.schedule_rev + CASE WHEN j.definition_hash IS DISTINCT FROM excluded.definition_hash OR j.error IS NOT NULL
                                                     THEN 1 ELSE 0 END,
                error = NULL, orphaned = false, updated_at = now(),
                definition_version = CASE WHEN {{Rewrites}} THEN excluded.definition_version ELSE j.definition_version END,
                disabled = CASE WHEN {{Rewrites}} THEN excluded.disabled ELSE j.disabled END,
                code_hash = CASE WHEN {{Rewrites}} THEN excluded.code_hash ELSE j.code_hash END,
                declaring_type = excluded.declaring_type, method_name = excluded.method_name, options = excluded.options
            WHERE ({{Rewrites}}
                   -- The declaration's facts are missing (written by an older DistCron, or left behind by its rewrite
                   -- of the definition) or name another method: written under the same rules as a definition, so a
                   -- node of an older DeploymentVersion never overwrites a newer node's facts either. Two nodes whose
                   -- facts differ only by the configuration keys named (same hash) do not flip the row.
                   OR (excluded.options IS NOT NULL AND {{FactsStale}}))
              -- Rolling deploys: a node of an older DeploymentVersion never overwrites a newer definition. Nor does a node
              -- of the same version whose definition differs only by configuration (same code_hash) while the row is
              -- kept (DefinitionConflicts): each restart would flip it back and forth. A rebuild of one version (another
              -- code_hash) follows the hash rule.
              AND NOT coalesce(excluded.definition_version < j.definition_version
                               OR (excluded.definition_version = j.definition_version AND j.code_hash = excluded.code_hash
                                   AND j.definition_hash <> excluded.definition_hash AND NOT j.orphaned AND j.error IS NULL), false)
              -- Only rows this transaction locked (and computed the due time for) before reading the clock: a row
              -- another seed inserted since may already have been claimed; the seed retries with it locked.
              AND j.name = ANY(@locked)
            RETURNING j.name, pg_notify(@channel, @app)
        )
        SELECT name FROM seeded
        """;

    // The seed's first statement: lock the app's existing rows for these names in the one lock order (COLLATE "C"),
    // then read the clock — clock_timestamp(), not now() (the transaction's start) — once the locks are held. The
    // occurrence in flight: a claimed row's occurrence, unless the claim is a manual trigger's run (claimed_manual).
    // What the seed would change, read without locks (SeedHasWorkAsync).
    private const string SeedCheckSql = """
        SELECT name, definition_hash, orphaned OR error IS NOT NULL, definition_version, code_hash,
               options IS NULL OR options ->> 'definitionHash' IS DISTINCT FROM definition_hash, declaring_type, method_name
        FROM {schema}.jobs WHERE app = @app AND name = ANY(@names)
        """;

    private const string SeedLockSql = """
        SELECT name, CASE WHEN owner_node IS NOT NULL AND NOT claimed_manual THEN occurrence_at END
        FROM {schema}.jobs WHERE app = @app AND name = ANY(@names)
        ORDER BY name COLLATE "C"
        FOR UPDATE;
        SELECT clock_timestamp();
        """;

    // Upserts this node, then flips 'orphaned' on exactly the rows whose state changes: orphaned rows some live node
    // has code for, and non-orphaned rows none has. The CTE snapshot does not see this node's own upsert, hence
    // the UNION with @names. Rows are locked in byte order of their names (COLLATE "C"), like the seed and the
    // completion batch: in the database's collation the order differs, and concurrent completions deadlocked.
    // The flags depend only on the live nodes' job names, so they are recomputed only when that input may have
    // changed since this node last looked: its first registration (@seen is null), its own names changed or it was
    // itself out of the live window, or the set of other live nodes differs from the fingerprint @seen this node got
    // back last time (a node joined, left or fell silent). A steady-state re-registration is then one cheap upsert
    // instead of a scan of every job row. Concurrent registrations that miss each other's uncommitted rows see a
    // different fingerprint next time and recompute then.
    // Node ids are unique per process, so crashed processes leave rows behind: those silent for a day (and past the
    // live window) are pruned, skipping rows another node is pruning at the same moment.
    private const string RegisterNodeSql = $$"""
        WITH prev AS (
            SELECT job_names, heartbeat_at FROM {schema}.nodes WHERE app = @app AND node_id = @node
        ), me AS (
            INSERT INTO {schema}.nodes AS n (app, node_id, host, pid, started_at, heartbeat_at, job_names, library_version, deployment_version, runtime)
            VALUES (@app, @node, @host, @pid, now(), now(), @names, @library_version, @deployment_version, @runtime)
            ON CONFLICT (app, node_id) DO UPDATE
            SET host = excluded.host, pid = excluded.pid, heartbeat_at = now(), job_names = excluded.job_names,
                library_version = excluded.library_version, deployment_version = excluded.deployment_version, runtime = excluded.runtime
            RETURNING 1
        ), dead AS (
            SELECT app, node_id FROM {schema}.nodes
            WHERE app = @app AND node_id <> @node AND heartbeat_at < now() - greatest(@live_window, interval '1 day')
            ORDER BY node_id
            FOR UPDATE SKIP LOCKED
        ), pruned AS (
            DELETE FROM {schema}.nodes d USING dead WHERE d.app = dead.app AND d.node_id = dead.node_id
            RETURNING 1
        ), others AS (
            {{OtherLiveNodesFingerprintSql}}
        ), needed AS (
            SELECT @seen::text IS NULL
                OR @seen::text IS DISTINCT FROM (SELECT fingerprint FROM others)
                OR NOT EXISTS (SELECT 1 FROM prev WHERE prev.job_names = @names::text[] AND prev.heartbeat_at > now() - @live_window)
                AS recompute
        ), live AS (
            SELECT unnest(job_names) AS name FROM {schema}.nodes
            WHERE app = @app AND node_id <> @node AND heartbeat_at > now() - @live_window
            UNION
            SELECT unnest(@names::text[])
        ), flip AS (
            -- "name IN (SELECT … FROM live)" is a hashed subplan: O(jobs + live names). A correlated EXISTS over the CTE
            -- was O(jobs × live names): with many nodes and jobs a registration took long enough that the node's loop
            -- claimed nothing meanwhile.
            SELECT j.name FROM {schema}.jobs j
            WHERE (SELECT recompute FROM needed)
              AND j.app = @app AND j.orphaned = (j.name IN (SELECT name FROM live))
            ORDER BY j.name COLLATE "C"
            FOR UPDATE
        ), flipped AS (
            UPDATE {schema}.jobs j
            SET orphaned = NOT (j.name IN (SELECT name FROM live)), updated_at = now()
            FROM flip
            WHERE j.app = @app AND j.name = flip.name
            RETURNING 1
        )
        SELECT fingerprint FROM others
        """;

    private const string UnregisterNodeSql = "DELETE FROM {schema}.nodes WHERE app = @app AND node_id = @node";

    /// <summary>Every column of a job row, in <c>ReadJob</c>'s order.</summary>
    private const string ListColumns =
        "name, schedule, time_zone, definition_hash, next_due_at, occurrence_at, attempt, owner_node, fence, " +
        "lease_until, paused, orphaned, error, last_status, last_error, last_node, last_finished_at, schedule_rev, " +
        "trigger_requested_at, last_started_at, last_duration_ms, disabled, definition_version, code_hash, " +
        "pause_reason, pause_until, declaring_type, method_name, options";

    private const string ListJobsSql = "SELECT " + ListColumns + " FROM {schema}.jobs WHERE app = @app ORDER BY name";

    private const string SchemaVersionSql = "SELECT coalesce(max(version), 0) FROM {schema}.schema_version";
    private const string SchemaVersionTableExistsSql = "SELECT to_regclass(@table) IS NOT NULL";
    // Serialises migrations of one schema across every node; released at commit.
    private const string MigrationLockSql = "SELECT pg_advisory_xact_lock(hashtextextended(@lock_name, 0))";
    // Bounds every later lock wait of the migration transaction (is_local = true: gone at commit or rollback).
    private const string MigrationLockTimeoutSql = "SELECT set_config('lock_timeout', @timeout, true)";
}
