namespace DistCron.Storage.Sqlite;

// The statements of the SQLite store, one place to read the dialect; the other files run them.
internal sealed partial class SqliteJobStore
{
    /// <summary>Rows of nodes silent for this long are deleted: crashed nodes never unregister.</summary>
    private const long ForgetNodesAfterMs = 24 * 60 * 60 * 1000;

    /// <summary>Unix milliseconds of SQLite's clock. ROUND, not truncation: julianday is a double and may land a hair below the exact millisecond.</summary>
    internal const string Now = "CAST(ROUND((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER)";

    private const string JobColumns =
        "name, schedule, time_zone, definition_hash, next_due_at, occurrence_at, attempt, owner_node, fence, lease_until, " +
        "paused, orphaned, error, last_status, last_error, last_node, last_finished_at, schedule_rev";

    // "WHERE true" resolves SQLite's INSERT … SELECT … ON CONFLICT parsing ambiguity. An unchanged row (same
    // hash, not orphaned, not errored) is not touched, so restarts never reset or delay a due time. An orphaned row
    // with an unchanged definition only stops being orphaned: it keeps the occurrence and attempt it missed.
    // The seed rewrites the row's definition: another hash, or an orphaned or errored row (not only stale facts).
    private const string Rewrites = "(jobs.definition_hash IS NOT excluded.definition_hash OR jobs.orphaned <> 0 OR jobs.error IS NOT NULL)";

    private static readonly string SeedUpsertSql = $"""
        INSERT INTO jobs (app, name, schedule, time_zone, definition_hash, next_due_at, occurrence_at, definition_version, disabled, code_hash,
                          declaring_type, method_name, options)
        SELECT $app, value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 4, value ->> 5, value ->> 6, value ->> 7,
               value ->> 8, value ->> 9, value ->> 10
        FROM json_each($batch) WHERE true
        ON CONFLICT (app, name) DO UPDATE SET
            -- Only a rewrite of the definition changes the definition; a seed that only fills in the declaration facts
            -- leaves a damaged schedule or zone for the claim to mark errored (see the PostgreSQL store's Rewrites).
            schedule = CASE WHEN {Rewrites} THEN excluded.schedule ELSE jobs.schedule END,
            time_zone = CASE WHEN {Rewrites} THEN excluded.time_zone ELSE jobs.time_zone END,
            definition_hash = excluded.definition_hash,
            next_due_at = CASE WHEN jobs.definition_hash IS NOT excluded.definition_hash OR jobs.error IS NOT NULL
                               THEN excluded.next_due_at ELSE jobs.next_due_at END,
            occurrence_at = CASE WHEN jobs.definition_hash IS NOT excluded.definition_hash OR jobs.error IS NOT NULL
                                 THEN excluded.next_due_at ELSE jobs.occurrence_at END,
            attempt = CASE WHEN jobs.definition_hash IS NOT excluded.definition_hash OR jobs.error IS NOT NULL
                           THEN 1 ELSE jobs.attempt END,
            -- Whenever the seed restarts the schedule state, a run in flight completes without overwriting it.
            schedule_rev = jobs.schedule_rev + (jobs.definition_hash IS NOT excluded.definition_hash OR jobs.error IS NOT NULL),
            error = NULL,
            orphaned = 0,
            updated_at = {Now},
            definition_version = CASE WHEN {Rewrites} THEN excluded.definition_version ELSE jobs.definition_version END,
            disabled = CASE WHEN {Rewrites} THEN excluded.disabled ELSE jobs.disabled END,
            code_hash = CASE WHEN {Rewrites} THEN excluded.code_hash ELSE jobs.code_hash END,
            declaring_type = excluded.declaring_type,
            method_name = excluded.method_name,
            options = excluded.options
        WHERE ({Rewrites}
               -- Stale declaration facts, under the same version rules (see the PostgreSQL store's SeedSql).
               OR (excluded.options IS NOT NULL
                   AND (jobs.options IS NULL OR jobs.options ->> '$.definitionHash' IS NOT jobs.definition_hash
                        OR jobs.declaring_type IS NOT excluded.declaring_type OR jobs.method_name IS NOT excluded.method_name)))
          -- Rolling deploys: a node of an older DeploymentVersion never overwrites a newer definition, nor a node of the
          -- same version and code a definition that differs by configuration (see the PostgreSQL store's SeedSql).
          AND NOT COALESCE(excluded.definition_version < jobs.definition_version
                           OR (excluded.definition_version = jobs.definition_version AND jobs.code_hash = excluded.code_hash
                               AND jobs.definition_hash <> excluded.definition_hash AND jobs.orphaned = 0 AND jobs.error IS NULL), 0);
        """;

    // The live names are a non-correlated subquery, which SQLite materialises once per statement.
    private static readonly string LiveNamesSql = $"""
        SELECT j.value FROM nodes n, json_each(n.job_names) j
        WHERE n.app = $app AND n.heartbeat_at >= {Now} - $window
        """;

    private static readonly string RegisterNodeSql = $"""
        INSERT INTO nodes (app, node_id, host, pid, started_at, heartbeat_at, job_names, library_version, deployment_version, runtime)
        VALUES ($app, $node, $host, $pid, {Now}, {Now}, $names, $library_version, $deployment_version, $runtime)
        ON CONFLICT (app, node_id) DO UPDATE SET
            host = excluded.host, pid = excluded.pid, heartbeat_at = excluded.heartbeat_at, job_names = excluded.job_names,
            library_version = excluded.library_version, deployment_version = excluded.deployment_version, runtime = excluded.runtime;

        DELETE FROM nodes WHERE app = $app AND heartbeat_at < {Now} - {ForgetNodesAfterMs};

        UPDATE jobs SET orphaned = 1, updated_at = {Now}
        WHERE app = $app AND orphaned = 0 AND name NOT IN ({LiveNamesSql});

        UPDATE jobs SET orphaned = 0, updated_at = {Now}
        WHERE app = $app AND orphaned <> 0 AND name IN ({LiveNamesSql});
        """;

    // The other live nodes of an app, as one text: a claim that keeps the registration alive compares it with what the
    // last registration saw, and asks for a full registration (orphan flags) when a node joined, left or fell silent.
    private static readonly string OtherLiveNodesSql = $"""
        SELECT $window || ':' || COALESCE((SELECT group_concat(node_id, ',') FROM (
            SELECT node_id FROM nodes WHERE app = $app AND node_id <> $node AND heartbeat_at >= {Now} - $window ORDER BY node_id)), '');
        """;

    // $skip (ClaimRequest.ExcludedNames): the few jobs this node must not take, a JSON array.
    private const string NotExcludedSql = "name NOT IN (SELECT value FROM json_each($skip))";

    // Inside BEGIN IMMEDIATE no other writer (in any process) runs, so "select due rows, then update them" in
    // one UPDATE … WHERE rowid IN (…) is atomic: two nodes can never claim the same row.
    private static readonly string ClaimSql = $"""
        UPDATE jobs SET owner_node = $node, fence = MIN(fence, 9223372036854775806) + 1, lease_until = {Now} + $lease,
            claimed_at = {Now}, claimed_manual = (paused <> 0 OR next_due_at IS NULL OR next_due_at > {Now} + $ahead)
        WHERE rowid IN (
            SELECT rowid FROM jobs
            WHERE app = $app AND {NotExcludedSql}
              AND error IS NULL AND disabled = 0
              AND ((paused = 0 AND next_due_at <= {Now} + $ahead) OR trigger_requested_at <= {Now})
              AND (lease_until IS NULL OR lease_until <= {Now})
            ORDER BY next_due_at, name
            LIMIT $max)
        RETURNING name, fence, occurrence_at, attempt, next_due_at, lease_until, schedule, time_zone, definition_hash,
            trigger_requested_at, claimed_manual, schedule_rev;
        """;

    // The earliest moment any of this node's other jobs can become claimable: a row leased by another node
    // counts at max(due, lease end); rows this node holds right now are excluded (it re-polls after them).
    // A pending manual trigger makes a row due at its request time, paused or not.
    // The third column is ClaimBatch.PausesEnded: a timed pause is over (jobs_pause_until holds only timed pauses).
    private static readonly string NextDueSql = $"""
        SELECT {Now}, MIN(max(due_at, COALESCE(lease_until, due_at))),
            EXISTS (SELECT 1 FROM jobs WHERE app = $app AND paused <> 0 AND pause_until <= {Now})
        FROM (
            SELECT lease_until, CASE
                WHEN trigger_requested_at IS NOT NULL AND (paused <> 0 OR next_due_at IS NULL OR trigger_requested_at < next_due_at)
                    THEN trigger_requested_at
                WHEN paused = 0 THEN next_due_at END AS due_at
            FROM jobs
            WHERE app = $app AND {NotExcludedSql}
              AND error IS NULL AND disabled = 0
              AND NOT (owner_node IS $node AND lease_until > {Now}))
        WHERE due_at IS NOT NULL;
        """;

    // The schedule fields belong to the schedule state the run was claimed under ($schedule_rev): when a seed of a
    // new definition or a resume raised the row's revision during the run, the outcome is recorded and the claim
    // cleared, but the row's own due time stands (see the PostgreSQL store's CompleteSql).
    private static readonly string CompleteUpdateSql = $"""
        UPDATE jobs SET owner_node = NULL, lease_until = NULL, claimed_at = NULL,
            -- A manual run leaves the schedule alone; any run claimed after a trigger request satisfies it.
            next_due_at = CASE WHEN $manual OR schedule_rev <> COALESCE($schedule_rev, schedule_rev) THEN next_due_at ELSE $next_due END,
            occurrence_at = CASE WHEN $manual OR schedule_rev <> COALESCE($schedule_rev, schedule_rev) THEN occurrence_at ELSE $next_occ END,
            attempt = CASE WHEN $manual OR schedule_rev <> COALESCE($schedule_rev, schedule_rev) THEN attempt ELSE $next_attempt END,
            trigger_requested_at = CASE WHEN trigger_requested_at <= claimed_at THEN NULL ELSE trigger_requested_at END,
            last_status = $status, last_error = $last_error, last_node = $node,
            last_started_at = $started, last_finished_at = {Now}, last_duration_ms = $duration, updated_at = {Now}
        WHERE app = $app AND name = $name AND owner_node = $node AND fence = $fence;
        """;

    private const string CompleteInsertSql = """
        INSERT INTO runs (app, job_name, occurrence_at, attempt, node_id, fence, status, started_at, duration_ms, error_type, error_message, manual)
        VALUES ($app, $name, $occ, $attempt, $node, $fence, $status, $started, $duration, $error_type, $error_message, $manual);
        """;
}
