using Npgsql;
using NpgsqlTypes;

namespace DistCron.Storage.Postgres;

/// <summary>Operator actions (pause, resume, trigger), history queries, retention and node listing.</summary>
internal sealed partial class PostgresJobStore
{
    // Each write answers "does the job exist?" in the same statement, so an unknown name is reported, not ignored. The
    // audit row is inserted from the updated row in the same statement: an action and its audit row commit together.
    // A pause of a paused job replaces its reason and end (an operator extends or explains a pause).
    private const string PauseSql = """
        WITH paused AS (
            UPDATE {schema}.jobs SET paused = true, pause_reason = @reason, pause_until = @until, updated_at = now()
            WHERE app = @app AND name = @name
            RETURNING name, pg_notify(@channel, @app)
        ), audited AS (
            INSERT INTO {schema}.audit (app, job_name, action, actor, reason, pause_until)
            SELECT @app, name, 'pause', @actor, @reason, @until FROM paused
        )
        SELECT EXISTS (SELECT 1 FROM {schema}.jobs WHERE app = @app AND name = @name), (SELECT count(*) FROM paused)
        """;

    // A new due time restarts the schedule state, so it raises the revision: a run in flight (claimed before the pause)
    // then completes without overwriting it. @expected_rev (when given) makes the resume apply only to the schedule the
    // caller computed the due time from; @expired_only makes it apply only to a timed pause that has ended (a node's
    // resume must not undo a pause extended meanwhile). The row read in the last column is the statement's snapshot,
    // taken before the update: it tells "not resumable" from "revision changed" when nothing was updated.
    private const string ResumeSql = """
        WITH resumed AS (
            UPDATE {schema}.jobs
            SET paused = false, pause_reason = NULL, pause_until = NULL, updated_at = now(),
                next_due_at = CASE WHEN @has_due THEN @due_at ELSE next_due_at END,
                occurrence_at = CASE WHEN @has_due THEN @due_at ELSE occurrence_at END,
                attempt = CASE WHEN @has_due THEN 1 ELSE attempt END,
                schedule_rev = schedule_rev + CASE WHEN @has_due THEN 1 ELSE 0 END
            WHERE app = @app AND name = @name AND paused AND schedule_rev = coalesce(@expected_rev, schedule_rev)
              AND (NOT @expired_only OR coalesce(pause_until <= now(), false))
            RETURNING name, pg_notify(@channel, @app)
        ), audited AS (
            INSERT INTO {schema}.audit (app, job_name, action, actor, reason)
            SELECT @app, name, 'resume', @actor, @reason FROM resumed
        )
        SELECT EXISTS (SELECT 1 FROM {schema}.jobs WHERE app = @app AND name = @name), (SELECT count(*) FROM resumed),
               coalesce((SELECT paused AND (NOT @expired_only OR coalesce(pause_until <= now(), false)) FROM {schema}.jobs WHERE app = @app AND name = @name), false)
        """;

    // coalesce: a request already pending keeps its (earlier) time, so repeated triggers before a run give one run.
    // A completion clears requests at or before its claim's claimed_at. A request written while the row is claimed
    // came after that claim (it waited for the claim's row lock), yet its now() (its transaction's start) can be at or
    // before claimed_at: it is stamped just after the claim instead, so it outlives that run (the SQLite store's rule).
    // Every trigger is audited, a repeated one too: each was asked for.
    internal const string TriggerSql = """
        WITH triggered AS (
            UPDATE {schema}.jobs
            SET trigger_requested_at = coalesce(trigger_requested_at,
                    CASE WHEN owner_node IS NOT NULL AND claimed_at >= now() THEN claimed_at + interval '1 microsecond' ELSE now() END),
                updated_at = now()
            WHERE app = @app AND name = @name
            RETURNING name, pg_notify(@channel, @app)
        ), audited AS (
            INSERT INTO {schema}.audit (app, job_name, action, actor, reason)
            SELECT @app, name, 'trigger', @actor, @reason FROM triggered
        )
        SELECT EXISTS (SELECT 1 FROM {schema}.jobs WHERE app = @app AND name = @name), (SELECT count(*) FROM triggered)
        """;

    // Keyset paging on audit_app_idx (app, id DESC).
    private const string QueryAuditSql = """
        SELECT id, job_name, action, actor, reason, pause_until, at
        FROM {schema}.audit
        WHERE app = @app AND (@name::text IS NULL OR job_name = @name) AND (@before_id::bigint IS NULL OR id < @before_id)
        ORDER BY id DESC
        LIMIT @limit
        """;

    // Through jobs_pause_until_idx, which holds only timed pauses.
    private const string ExpiredPausesSql = """
        SELECT name FROM {schema}.jobs WHERE app = @app AND paused AND pause_until IS NOT NULL AND pause_until <= now() ORDER BY name
        """;

    // Keyset paging on the (app, job_name, id DESC) index; the optional filters are parameters, never spliced.
    private const string QueryHistorySql = """
        SELECT id, job_name, occurrence_at, attempt, node_id, fence, status, started_at, finished_at, duration_ms,
               error_type, error_message, manual
        FROM {schema}.runs
        WHERE app = @app AND (@name::text IS NULL OR job_name = @name)
          AND (@before_id::bigint IS NULL OR id < @before_id)
          AND (@status::smallint IS NULL OR status = @status)
        ORDER BY id DESC
        LIMIT @limit
        """;

    // Oldest first through runs_finished_idx (app, finished_at), one bounded batch per statement: the scan reads only
    // rows it deletes and stops at the first row young enough to keep, so the last batch reads nothing. The batch's ids
    // go in as an array (id = ANY), which the planner looks up by primary key; with id IN (subquery) it may choose a
    // hash semi-join that reads the whole table once per batch.
    internal const string PruneByAgeSql = """
        DELETE FROM {schema}.runs WHERE id = ANY (ARRAY(
            SELECT id FROM {schema}.runs
            WHERE app = @app AND finished_at < now() - @max_age
            ORDER BY finished_at
            LIMIT @batch))
        """;

    // Everything older than the job's @keep-th newest row, through the (app, job_name, id DESC) index; the batch's ids
    // as an array, as above.
    internal const string PruneByCountSql = """
        DELETE FROM {schema}.runs WHERE id = ANY (ARRAY(
            SELECT id FROM {schema}.runs
            WHERE app = @app AND job_name = @name
              AND id < (SELECT id FROM {schema}.runs WHERE app = @app AND job_name = @name
                        ORDER BY id DESC OFFSET @keep - 1 LIMIT 1)
            ORDER BY id
            LIMIT @batch))
        """;

    // The job names that have history, one index probe per name (a skip scan of runs_job_idx): each step asks for the
    // first name after the previous one. SELECT DISTINCT read every history row of the app. Names come from runs, not
    // jobs, so the history of a removed job is still trimmed.
    internal const string HistoryJobNamesSql = """
        WITH RECURSIVE names (name) AS (
            SELECT (SELECT job_name FROM {schema}.runs WHERE app = @app ORDER BY job_name LIMIT 1)
            UNION ALL
            SELECT (SELECT r.job_name FROM {schema}.runs r WHERE r.app = @app AND r.job_name > n.name ORDER BY r.job_name LIMIT 1)
            FROM names n
            WHERE n.name IS NOT NULL)
        SELECT name FROM names WHERE name IS NOT NULL
        """;

    private const string ListNodesSql = """
        SELECT node_id, host, pid, started_at, heartbeat_at, job_names, library_version, deployment_version, runtime
        FROM {schema}.nodes WHERE app = @app ORDER BY heartbeat_at DESC, node_id
        """;

    /// <inheritdoc />
    public async Task<bool> PauseAsync(string app, string jobName, OperatorAction action, DateTimeOffset? until, CancellationToken cancellationToken) =>
        (await JobWriteAsync(PauseSql, app, jobName, action, command =>
            command.Parameters.AddWithValue("until", NpgsqlDbType.TimestampTz, Utc(until) ?? (object)DBNull.Value), cancellationToken).ConfigureAwait(false)).Exists;

    /// <inheritdoc />
    public async Task<ResumeOutcome> ResumeAsync(string app, string jobName, DateTimeOffset? nextDueAt, long? expectedRevision, OperatorAction action, CancellationToken cancellationToken)
    {
        var (exists, changed, paused) = await JobWriteAsync(ResumeSql, app, jobName, action, command =>
        {
            command.Parameters.AddWithValue("expired_only", action.OnlyExpiredPause);
            command.Parameters.AddWithValue("has_due", nextDueAt.HasValue);
            command.Parameters.AddWithValue("due_at", NpgsqlDbType.TimestampTz, Utc(nextDueAt) ?? (object)DBNull.Value);
            command.Parameters.AddWithValue("expected_rev", NpgsqlDbType.Bigint, (object?)expectedRevision ?? DBNull.Value);
        }, cancellationToken).ConfigureAwait(false);
        return !exists ? ResumeOutcome.NotFound
            : changed ? ResumeOutcome.Resumed
            : paused ? ResumeOutcome.RevisionChanged
            : ResumeOutcome.NotPaused;
    }

    /// <inheritdoc />
    public async Task<bool> TriggerAsync(string app, string jobName, OperatorAction action, CancellationToken cancellationToken) =>
        (await JobWriteAsync(TriggerSql, app, jobName, action, null, cancellationToken).ConfigureAwait(false)).Exists;

    /// <inheritdoc />
    public async Task<IReadOnlyList<AuditRecord>> QueryAuditAsync(string app, AuditQuery query, CancellationToken cancellationToken)
    {
        SqlNames.ValidateApp(app);
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
        await using var command = _dataSource.CreateCommand(Bind(QueryAuditSql));
        command.Parameters.AddWithValue("app", app);
        command.Parameters.AddWithValue("name", NpgsqlDbType.Text, (object?)query.JobName ?? DBNull.Value);
        command.Parameters.AddWithValue("before_id", NpgsqlDbType.Bigint, (object?)query.BeforeId ?? DBNull.Value);
        command.Parameters.AddWithValue("limit", query.Limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var rows = new List<AuditRecord>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(new AuditRecord(reader.GetInt64(0), reader.GetString(1), AuditActions.Parse(reader.GetString(2)), reader.GetString(3),
                NullableString(reader, 4), NullableTime(reader, 5), reader.GetFieldValue<DateTimeOffset>(6)));
        }

        return rows;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<string>> ListExpiredPausesAsync(string app, CancellationToken cancellationToken)
    {
        SqlNames.ValidateApp(app);
        await using var command = _dataSource.CreateCommand(Bind(ExpiredPausesSql));
        command.Parameters.AddWithValue("app", app);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var names = new List<string>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) names.Add(reader.GetString(0));
        return names;
    }

    // Whether the job exists, whether the statement changed it, and (when it returns a third column) that column.
    private async Task<(bool Exists, bool Changed, bool Extra)> JobWriteAsync(string sql, string app, string jobName, OperatorAction action, Action<NpgsqlCommand>? parameters, CancellationToken cancellationToken)
    {
        StoreRules.Job(app, jobName);
        ArgumentNullException.ThrowIfNull(action);
        action.Validate();
        await using var command = _dataSource.CreateCommand(Bind(sql));
        command.Parameters.AddWithValue("app", app);
        command.Parameters.AddWithValue("name", jobName);
        command.Parameters.AddWithValue("channel", _channel);
        command.Parameters.AddWithValue("actor", action.Actor);
        command.Parameters.AddWithValue("reason", NpgsqlDbType.Text, (object?)action.Reason ?? DBNull.Value);
        parameters?.Invoke(command);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return (reader.GetBoolean(0), reader.GetInt64(1) > 0, reader.FieldCount > 2 && reader.GetBoolean(2));
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<RunRecord>> QueryHistoryAsync(string app, string? jobName, HistoryQuery query, CancellationToken cancellationToken)
    {
        StoreRules.History(app, jobName, query);
        await using var command = _dataSource.CreateCommand(Bind(QueryHistorySql));
        command.Parameters.AddWithValue("app", app);
        command.Parameters.AddWithValue("name", NpgsqlDbType.Text, (object?)jobName ?? DBNull.Value);
        command.Parameters.AddWithValue("before_id", NpgsqlDbType.Bigint, (object?)query.BeforeId ?? DBNull.Value);
        command.Parameters.AddWithValue("status", NpgsqlDbType.Smallint, query.Status is { } status ? (short)status : DBNull.Value);
        command.Parameters.AddWithValue("limit", query.Limit);
        var runs = new List<RunRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            runs.Add(new RunRecord(
                Id: reader.GetInt64(0),
                JobName: reader.GetString(1),
                OccurrenceAt: reader.GetFieldValue<DateTimeOffset>(2),
                Attempt: reader.GetInt32(3),
                NodeId: reader.GetString(4),
                Fence: reader.GetInt64(5),
                Status: (RunStatus)reader.GetInt16(6),
                StartedAt: NullableTime(reader, 7),
                FinishedAt: reader.GetFieldValue<DateTimeOffset>(8),
                Duration: TimeSpan.FromMilliseconds(reader.GetInt64(9)),
                ErrorType: NullableString(reader, 10),
                ErrorMessage: NullableString(reader, 11),
                IsManualTrigger: reader.GetBoolean(12)));
        }

        return runs;
    }

    /// <inheritdoc />
    public Task<int> PruneHistoryAsync(string app, TimeSpan? maxAge, int? keepPerJob, int batchSize, CancellationToken cancellationToken)
    {
        StoreRules.Prune(app, maxAge, keepPerJob, batchSize);
        return StoreRules.PruneAsync(maxAge, keepPerJob, batchSize,
            age => DeleteBatchAsync(PruneByAgeSql, app, batchSize, command =>
                command.Parameters.AddWithValue("max_age", NpgsqlDbType.Interval, age), cancellationToken),
            () => HistoryJobNamesAsync(app, cancellationToken),
            (name, keep) => DeleteBatchAsync(PruneByCountSql, app, batchSize, command =>
            {
                command.Parameters.AddWithValue("name", name);
                command.Parameters.AddWithValue("keep", keep);
            }, cancellationToken));
    }

    private async Task<IReadOnlyList<string>> HistoryJobNamesAsync(string app, CancellationToken cancellationToken)
    {
        var names = new List<string>();
        await using var command = _dataSource.CreateCommand(Bind(HistoryJobNamesSql));
        command.Parameters.AddWithValue("app", app);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) names.Add(reader.GetString(0));
        return names;
    }

    private async Task<int> DeleteBatchAsync(string sql, string app, int batchSize, Action<NpgsqlCommand> parameters, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(Bind(sql));
        command.Parameters.AddWithValue("app", app);
        command.Parameters.AddWithValue("batch", batchSize);
        parameters(command);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<NodeRow>> ListNodesAsync(string app, CancellationToken cancellationToken)
    {
        SqlNames.ValidateApp(app);
        await using var command = _dataSource.CreateCommand(Bind(ListNodesSql));
        command.Parameters.AddWithValue("app", app);
        var nodes = new List<NodeRow>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            nodes.Add(new NodeRow(reader.GetString(0), reader.GetString(1), reader.GetInt32(2),
                reader.GetFieldValue<DateTimeOffset>(3), reader.GetFieldValue<DateTimeOffset>(4),
                reader.IsDBNull(5) ? [] : reader.GetFieldValue<string[]>(5))
            {
                LibraryVersion = NullableString(reader, 6),
                DeploymentVersion = reader.IsDBNull(7) ? null : reader.GetInt64(7),
                Runtime = NullableString(reader, 8),
            });
        }

        return nodes;
    }
}
