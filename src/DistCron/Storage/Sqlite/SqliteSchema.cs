namespace DistCron.Storage.Sqlite;

/// <summary>
/// The SQLite schema: the current DDL for a new file, and the numbered upgrade steps for a file an older DistCron
/// created. A step runs once, in order, when the file's version is below its number (SqliteJobStore.MigrateAsync).
/// </summary>
internal static class SqliteSchema
{
    /// <summary>The schema version this code writes.</summary>
    internal static int CurrentVersion => Upgrades[^1].Version;

    /// <summary>
    /// What each version adds to the one before. A new file gets <see cref="Current"/> (every column included) and
    /// skips them; applied steps never run again (the rule PostgreSQL's migrator follows).
    /// </summary>
    // Operator actions (pause, resume, trigger): who, what, which job, why, when by the database clock; written in the
    // same transaction as the action. The expired-pause index holds only timed pauses.
    private const string AuditDdl = $"""
        CREATE TABLE IF NOT EXISTS audit (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            app TEXT NOT NULL,
            job_name TEXT NOT NULL,
            action TEXT NOT NULL,
            actor TEXT NOT NULL,
            reason TEXT NULL,
            pause_until INTEGER NULL,
            at INTEGER NOT NULL DEFAULT ({SqliteJobStore.Now})
        );
        CREATE INDEX IF NOT EXISTS audit_by_app ON audit (app, id DESC);
        CREATE INDEX IF NOT EXISTS jobs_pause_until ON jobs (app, pause_until) WHERE paused <> 0 AND pause_until IS NOT NULL;
        """;

    internal static readonly (int Version, string Sql)[] Upgrades =
    [
        (1, ""), // the first schema: a version-1 file has it
        (2, "ALTER TABLE jobs ADD COLUMN definition_version INTEGER NULL;"),
        // The schedule revision a completion carries back (see SqliteJobStore.CompleteOneAsync).
        (3, "ALTER TABLE jobs ADD COLUMN schedule_rev INTEGER NOT NULL DEFAULT 0;"),
        // Whether the current claim is a manual trigger's run (see ReadSeedStateAsync).
        (4, "ALTER TABLE jobs ADD COLUMN claimed_manual INTEGER NOT NULL DEFAULT 0;"),
        // Disabled by the deployment's configuration: seeded with no due time, never claimed for a trigger either.
        // Before the overrides: tells nodes of one version that differ by configuration from a rebuild (see SeedUpsertSql).
        (5, "ALTER TABLE jobs ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0; ALTER TABLE jobs ADD COLUMN code_hash TEXT NULL;"),
        // History pruning's age rule reads in finished order and stops at the first row to keep (see PruneByAgeSql).
        (6, "CREATE INDEX IF NOT EXISTS runs_by_finish ON runs (app, finished_at);"),
        // A pause's reason and the time after which a node resumes it by itself; the audit trail of operator actions.
        (7, "ALTER TABLE jobs ADD COLUMN pause_reason TEXT NULL; ALTER TABLE jobs ADD COLUMN pause_until INTEGER NULL; " + AuditDdl),
        // Where a job is declared and its options (a JSON object with the definition hash it belongs to, see
        // DefinitionFacts), and each node's versions: shown by the dashboard; NULL (unknown) for older writers.
        (8, "ALTER TABLE jobs ADD COLUMN declaring_type TEXT NULL; ALTER TABLE jobs ADD COLUMN method_name TEXT NULL; " +
            "ALTER TABLE jobs ADD COLUMN options TEXT NULL; ALTER TABLE nodes ADD COLUMN library_version TEXT NULL; " +
            "ALTER TABLE nodes ADD COLUMN deployment_version INTEGER NULL; ALTER TABLE nodes ADD COLUMN runtime TEXT NULL;"),
    ];

    internal static readonly string Current = $"""
        CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);

        CREATE TABLE IF NOT EXISTS jobs (
            app TEXT NOT NULL,
            name TEXT NOT NULL,
            schedule TEXT NOT NULL,
            time_zone TEXT NOT NULL,
            definition_hash TEXT NOT NULL,
            next_due_at INTEGER NULL,          -- unix ms UTC: when the row becomes claimable; NULL = never
            occurrence_at INTEGER NULL,        -- the scheduled occurrence the due time belongs to
            attempt INTEGER NOT NULL DEFAULT 1,
            owner_node TEXT NULL,
            fence INTEGER NOT NULL DEFAULT 0,  -- fencing token: +1 per claim, never goes back
            lease_until INTEGER NULL,
            claimed_at INTEGER NULL,
            paused INTEGER NOT NULL DEFAULT 0,
            orphaned INTEGER NOT NULL DEFAULT 0,
            error TEXT NULL,                   -- set by MarkErrored: never claimed until re-seeded
            last_status INTEGER NULL,
            last_error TEXT NULL,
            last_node TEXT NULL,
            last_started_at INTEGER NULL,
            last_finished_at INTEGER NULL,
            last_duration_ms INTEGER NULL,
            trigger_requested_at INTEGER NULL, -- pending "trigger now" request (TriggerAsync)
            definition_version INTEGER NULL,   -- DeploymentVersion that wrote the definition (migration 2)
            schedule_rev INTEGER NOT NULL DEFAULT 0, -- raised when a seed or resume restarts the schedule state (migration 3)
            claimed_manual INTEGER NOT NULL DEFAULT 0, -- the current claim is a manual trigger's run (migration 4)
            disabled INTEGER NOT NULL DEFAULT 0,       -- disabled by configuration: never due, never triggered (migration 5)
            code_hash TEXT NULL,                       -- the declared definition hash, before configuration overrides (migration 5)
            pause_reason TEXT NULL,                    -- why an operator paused the job (migration 7)
            pause_until INTEGER NULL,                  -- a node resumes the job by itself after this time (migration 7)
            declaring_type TEXT NULL,                  -- the declaring type of the definition's method (upgrade 8)
            method_name TEXT NULL,                     -- its method (upgrade 8)
            options TEXT NULL,                         -- JSON: the definition's options and its hash (upgrade 8)
            created_at INTEGER NOT NULL DEFAULT ({SqliteJobStore.Now}),
            updated_at INTEGER NOT NULL DEFAULT ({SqliteJobStore.Now}),
            PRIMARY KEY (app, name)
        );

        -- Keeps the due query cheap with thousands of jobs; its predicate matches the claim's literally.
        CREATE INDEX IF NOT EXISTS jobs_due ON jobs (app, next_due_at) WHERE paused = 0 AND error IS NULL;

        CREATE TABLE IF NOT EXISTS runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT, -- AUTOINCREMENT: ids never reused, so "newest first" is id order
            app TEXT NOT NULL,
            job_name TEXT NOT NULL,
            occurrence_at INTEGER NOT NULL,
            attempt INTEGER NOT NULL,
            node_id TEXT NOT NULL,
            fence INTEGER NOT NULL,
            status INTEGER NOT NULL,
            started_at INTEGER NULL,
            finished_at INTEGER NOT NULL DEFAULT ({SqliteJobStore.Now}),
            duration_ms INTEGER NOT NULL,
            error_type TEXT NULL,
            error_message TEXT NULL,
            manual INTEGER NOT NULL DEFAULT 0
        );

        CREATE INDEX IF NOT EXISTS runs_by_job ON runs (app, job_name, id DESC);
        CREATE INDEX IF NOT EXISTS runs_by_finish ON runs (app, finished_at); -- the age rule of history pruning (upgrade 6)

        CREATE TABLE IF NOT EXISTS nodes (
            app TEXT NOT NULL,
            node_id TEXT NOT NULL,
            host TEXT NOT NULL,
            pid INTEGER NOT NULL,
            started_at INTEGER NOT NULL,
            heartbeat_at INTEGER NOT NULL,
            job_names TEXT NOT NULL,           -- JSON array of job names
            library_version TEXT NULL,         -- DistCron's version on the node (upgrade 8)
            deployment_version INTEGER NULL,   -- the node's DeploymentVersion (upgrade 8)
            runtime TEXT NULL,                 -- the node's .NET runtime (upgrade 8)
            PRIMARY KEY (app, node_id)
        );

        {AuditDdl}
        """;

    /// <summary>
    /// The statements that bring a file at <paramref name="fromVersion"/> (1 or later) to <see cref="CurrentVersion"/>, in
    /// one transaction: what <see cref="SqliteJobStore.MigrateAsync"/> applies to such a file.
    /// </summary>
    internal static string UpgradeScript(int fromVersion)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(fromVersion, 1);
        var steps = Upgrades.Where(u => u.Version > fromVersion && u.Sql.Length > 0).Select(u => u.Sql);
        return string.Join(" ", ["BEGIN IMMEDIATE;", .. steps, "DELETE FROM schema_version;",
            $"INSERT INTO schema_version (version) VALUES ({CurrentVersion});", "COMMIT;"]);
    }

    /// <summary>The DDL that creates the schema, for DBAs who forbid DDL from applications.</summary>
    internal static string Script() =>
        "PRAGMA journal_mode = WAL;\n" + Current +
        $"\nINSERT INTO schema_version (version) SELECT {CurrentVersion} WHERE NOT EXISTS (SELECT 1 FROM schema_version);\n";
}
