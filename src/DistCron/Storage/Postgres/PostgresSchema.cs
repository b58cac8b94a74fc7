namespace DistCron.Storage.Postgres;

/// <summary>
/// The PostgreSQL DDL, as numbered migrations. Each migration is idempotent on its own (IF NOT EXISTS), so the full
/// script can be run by a DBA by hand (<see cref="PostgresJobStore.GetSchemaSql"/>). The store itself applies only the
/// migrations numbered above the version it finds (<see cref="Step"/>), under an advisory lock.
/// Only the validated schema name is spliced in; see <see cref="SqlNames.ValidateSchema"/>.
/// </summary>
internal static class PostgresSchema
{
    /// <summary>The schema version this code writes and understands.</summary>
    public const int LatestVersion = 9;

    private const string Migration1 = """
        CREATE SCHEMA IF NOT EXISTS {schema};

        CREATE TABLE IF NOT EXISTS {schema}.schema_version (
            version int NOT NULL
        );

        CREATE TABLE IF NOT EXISTS {schema}.jobs (
            app text NOT NULL,
            name text NOT NULL,
            schedule text NOT NULL,
            time_zone text NOT NULL,
            definition_hash text NOT NULL,
            next_due_at timestamptz NULL,
            occurrence_at timestamptz NULL,
            attempt int NOT NULL DEFAULT 1,
            owner_node text NULL,
            fence bigint NOT NULL DEFAULT 0,
            lease_until timestamptz NULL,
            claimed_at timestamptz NULL,
            paused boolean NOT NULL DEFAULT false,
            orphaned boolean NOT NULL DEFAULT false,
            error text NULL,
            last_status smallint NULL,
            last_error text NULL,
            last_node text NULL,
            last_started_at timestamptz NULL,
            last_finished_at timestamptz NULL,
            last_duration_ms bigint NULL,
            trigger_requested_at timestamptz NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (app, name)
        );

        -- Keeps the due query cheap with thousands of jobs: only claimable rows, in due order. Owner, fence and lease
        -- columns stay out of every index so claims and heartbeats are HOT updates (no index writes, little bloat).
        CREATE INDEX IF NOT EXISTS jobs_due_idx ON {schema}.jobs (app, next_due_at) WHERE NOT paused AND error IS NULL;

        CREATE TABLE IF NOT EXISTS {schema}.runs (
            id bigserial PRIMARY KEY,
            app text NOT NULL,
            job_name text NOT NULL,
            occurrence_at timestamptz NOT NULL,
            attempt int NOT NULL,
            node_id text NOT NULL,
            fence bigint NOT NULL,
            status smallint NOT NULL,
            started_at timestamptz NULL,
            finished_at timestamptz NOT NULL DEFAULT now(),
            duration_ms bigint NOT NULL,
            error_type text NULL,
            error_message text NULL,
            manual boolean NOT NULL DEFAULT false
        );

        CREATE INDEX IF NOT EXISTS runs_job_idx ON {schema}.runs (app, job_name, id DESC);

        CREATE TABLE IF NOT EXISTS {schema}.nodes (
            app text NOT NULL,
            node_id text NOT NULL,
            host text NOT NULL,
            pid int NOT NULL,
            started_at timestamptz NOT NULL DEFAULT now(),
            heartbeat_at timestamptz NOT NULL DEFAULT now(),
            job_names text[] NOT NULL,
            PRIMARY KEY (app, node_id)
        );
        """;

    // Rolling deploys: the DeploymentVersion of the node that wrote the row's definition (null: unversioned).
    private const string Migration2 = """
        ALTER TABLE {schema}.jobs ADD COLUMN IF NOT EXISTS definition_version bigint NULL;
        """;

    // Claims read due rows in claim order straight from an index and stop after the batch: (app, next_due_at, name)
    // matches the claim's ORDER BY next_due_at, name, so a claim costs O(batch) whatever the number of jobs or the
    // backlog (with (app, next_due_at) alone, PostgreSQL preferred probing the primary key once per job name and
    // sorting every due row, a cost that grew with the jobs). Pending manual triggers get their own small index so
    // the claim finds them without scanning. The old due index is a prefix of the new one: dropped.
    private const string Migration3 = """
        CREATE INDEX IF NOT EXISTS jobs_claim_order_idx ON {schema}.jobs (app, next_due_at, name) WHERE NOT paused AND error IS NULL;
        CREATE INDEX IF NOT EXISTS jobs_trigger_idx ON {schema}.jobs (app, trigger_requested_at) WHERE trigger_requested_at IS NOT NULL;
        DROP INDEX IF EXISTS {schema}.jobs_due_idx;
        """;

    // The row's schedule revision: raised by every write that restarts the row's schedule state (a seed of a new
    // definition, a resume with a new due time). A claim returns it and its completion carries it back: a completion
    // whose revision is no longer the row's records its outcome but leaves next_due_at, occurrence_at and attempt to
    // the newer state (see CompleteSql). NOT NULL DEFAULT 0 is a catalog-only change (no table rewrite).
    private const string Migration4 = """
        ALTER TABLE {schema}.jobs ADD COLUMN IF NOT EXISTS schedule_rev bigint NOT NULL DEFAULT 0;
        """;

    // Whether the row's current claim is a manual trigger's run (ClaimSql sets it with every claim). A manual run is
    // not the row's scheduled occurrence: a seed of a new definition during it must not wait for the old schedule's
    // next occurrence as if it were in flight (SeedLockSql). A flag, not a guess from the claim and due times: an
    // every-second job's next occurrence is always within any window of its claim. Catalog-only change.
    private const string Migration5 = """
        ALTER TABLE {schema}.jobs ADD COLUMN IF NOT EXISTS claimed_manual boolean NOT NULL DEFAULT false;
        """;

    // Configuration overrides (JobOverride). disabled: Enabled = false, seeded with no due time and never claimed for a
    // manual trigger either. code_hash: the definition hash the code declares, before overrides: nodes of one
    // DeploymentVersion whose definitions differ only by configuration are told apart from a rebuild of that version
    // (see SeedSql). Catalog-only changes.
    private const string Migration6 = """
        ALTER TABLE {schema}.jobs ADD COLUMN IF NOT EXISTS disabled boolean NOT NULL DEFAULT false;
        ALTER TABLE {schema}.jobs ADD COLUMN IF NOT EXISTS code_hash text NULL;
        """;

    // History pruning's age rule reads the app's rows in finished order and stops at the first one young enough to
    // keep, so the last batch (nothing old left) reads no row instead of the app's whole history. On a large runs table
    // the build holds a SHARE lock on runs (completions wait); operations.md shows how to build it CONCURRENTLY first.
    private const string Migration7 = """
        CREATE INDEX IF NOT EXISTS runs_finished_idx ON {schema}.runs (app, finished_at);
        """;

    // Operator actions with a reason: the pause's reason and the time after which a node resumes the job by itself, and
    // the audit trail of pauses, resumes and triggers (written in the same statement as the action). The expired-pause
    // index holds only timed pauses, so the nodes' check reads nothing while none is due; pause_until is not written by
    // claims, so they stay HOT updates. Catalog-only column additions and a new table: no rewrite, no long lock.
    private const string Migration8 = """
        ALTER TABLE {schema}.jobs ADD COLUMN IF NOT EXISTS pause_reason text NULL;
        ALTER TABLE {schema}.jobs ADD COLUMN IF NOT EXISTS pause_until timestamptz NULL;
        CREATE INDEX IF NOT EXISTS jobs_pause_until_idx ON {schema}.jobs (app, pause_until) WHERE paused AND pause_until IS NOT NULL;
        CREATE TABLE IF NOT EXISTS {schema}.audit (
            id bigserial PRIMARY KEY,
            app text NOT NULL,
            job_name text NOT NULL,
            action text NOT NULL,
            actor text NOT NULL,
            reason text NULL,
            pause_until timestamptz NULL,
            at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX IF NOT EXISTS audit_app_idx ON {schema}.audit (app, id DESC);
        """;

    // What the dashboard shows of a definition and a node: the declaring type and method and the options a job's
    // definition was built from (a small JSON object carrying the definition hash it belongs to, so facts left behind
    // by an older DistCron's rewrite of the definition read as unknown), and each node's library version, deployment
    // version and runtime. Nullable: rows written by older DistCron versions read as unknown, and their nodes keep
    // working beside newer ones. Catalog-only column additions.
    private const string Migration9 = """
        ALTER TABLE {schema}.jobs ADD COLUMN IF NOT EXISTS declaring_type text NULL;
        ALTER TABLE {schema}.jobs ADD COLUMN IF NOT EXISTS method_name text NULL;
        ALTER TABLE {schema}.jobs ADD COLUMN IF NOT EXISTS options jsonb NULL;
        ALTER TABLE {schema}.nodes ADD COLUMN IF NOT EXISTS library_version text NULL;
        ALTER TABLE {schema}.nodes ADD COLUMN IF NOT EXISTS deployment_version bigint NULL;
        ALTER TABLE {schema}.nodes ADD COLUMN IF NOT EXISTS runtime text NULL;
        """;

    // One row holding the highest applied migration; never lowered (an older node must not downgrade the marker).
    private const string VersionRow = """
        INSERT INTO {schema}.schema_version (version) SELECT {version} WHERE NOT EXISTS (SELECT 1 FROM {schema}.schema_version);
        UPDATE {schema}.schema_version SET version = {version} WHERE version < {version};
        """;

    private static readonly string[] Migrations = [Migration1, Migration2, Migration3, Migration4, Migration5, Migration6, Migration7, Migration8, Migration9];

    /// <summary>How many migrations exist; equals <see cref="LatestVersion"/> (a test keeps the two together).</summary>
    public static int MigrationCount => Migrations.Length;

    /// <summary>The whole DDL script for <paramref name="schema"/> (validated): every migration, then the version row.</summary>
    public static string Script(string schema)
    {
        SqlNames.ValidateSchema(schema);
        var body = string.Join("\n", Migrations.Select((sql, i) => $"-- DistCron migration {i + 1}\n{sql}\n"));
        return (body + "\n" + VersionRowAt(LatestVersion)).Replace("{schema}", schema, StringComparison.Ordinal);
    }

    /// <summary>
    /// Migration <paramref name="number"/> alone for <paramref name="schema"/> (validated), followed by the statements that
    /// raise the version row to <paramref name="number"/>. Migration 1 creates the version table, so any step runs on a
    /// schema that holds every earlier migration.
    /// </summary>
    public static string Step(string schema, int number)
    {
        SqlNames.ValidateSchema(schema);
        ArgumentOutOfRangeException.ThrowIfLessThan(number, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(number, Migrations.Length);
        return (Migrations[number - 1] + "\n" + VersionRowAt(number)).Replace("{schema}", schema, StringComparison.Ordinal);
    }

    private static string VersionRowAt(int version) =>
        VersionRow.Replace("{version}", version.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
}
