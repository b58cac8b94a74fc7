
namespace DistCron.Storage.Sqlite;

/// <summary>Operator actions (pause, resume, trigger), history queries, retention and node listing.</summary>
internal sealed partial class SqliteJobStore
{
    // After the update, in the same transaction: whether the job exists and is (still) resumable: paused, and for a
    // node's resume of a timed pause ($expired_only), with its end passed.
    private static readonly string JobPausedSql =
        $"SELECT paused <> 0 AND ($expired_only = 0 OR COALESCE(pause_until <= {Now}, 0)) FROM jobs WHERE app = $app AND name = $name;";

    // The audit row of an action that changed the row, in the action's transaction (see JobWriteAsync).
    private static readonly string AuditSql =
        $"INSERT INTO audit (app, job_name, action, actor, reason, pause_until, at) VALUES ($app, $name, $action, $actor, $reason, $until, {Now});";

    // A pause of a paused job replaces its reason and end (an operator extends or explains a pause).
    /// <inheritdoc />
    public async Task<bool> PauseAsync(string app, string jobName, OperatorAction action, DateTimeOffset? until, CancellationToken cancellationToken) =>
        (await JobWriteAsync(app, jobName, AuditActions.Pause, action,
            $"UPDATE jobs SET paused = 1, pause_reason = $reason, pause_until = $until, updated_at = {Now} WHERE app = $app AND name = $name;",
            cancellationToken, ("$until", ToMs(until))).ConfigureAwait(false)).Exists;

    // A new due time restarts the schedule state, so it raises the revision: a run in flight (claimed before the pause)
    // then completes without overwriting it. $expected_rev (when given) makes the resume apply only to the schedule the
    // caller computed the due time from; $expired_only only to a timed pause that has ended (a node's resume must not
    // undo a pause extended meanwhile).
    /// <inheritdoc />
    public async Task<ResumeOutcome> ResumeAsync(string app, string jobName, DateTimeOffset? nextDueAt, long? expectedRevision, OperatorAction action, CancellationToken cancellationToken)
    {
        var (exists, changed, paused) = await JobWriteAsync(app, jobName, AuditActions.Resume, action, $"""
            UPDATE jobs SET paused = 0, pause_reason = NULL, pause_until = NULL, updated_at = {Now},
                next_due_at = CASE WHEN $has_due THEN $due_at ELSE next_due_at END,
                occurrence_at = CASE WHEN $has_due THEN $due_at ELSE occurrence_at END,
                attempt = CASE WHEN $has_due THEN 1 ELSE attempt END,
                schedule_rev = schedule_rev + $has_due
            WHERE app = $app AND name = $name AND paused <> 0 AND schedule_rev = COALESCE($expected_rev, schedule_rev)
              AND ($expired_only = 0 OR COALESCE(pause_until <= {Now}, 0));
            """, cancellationToken, ("$has_due", nextDueAt.HasValue ? 1 : 0), ("$due_at", ToMs(nextDueAt)), ("$expected_rev", expectedRevision))
            .ConfigureAwait(false);
        return !exists ? ResumeOutcome.NotFound
            : changed ? ResumeOutcome.Resumed
            : paused ? ResumeOutcome.RevisionChanged
            : ResumeOutcome.NotPaused;
    }

    // COALESCE: a request already pending keeps its (earlier) time, so repeated triggers before a run give one run.
    // Writes are serialized by the write lock, so a request written while the row is claimed came after that claim and
    // must outlive its completion, which clears requests at or before claimed_at: in the claim's own millisecond it is
    // stamped one millisecond after it (it was cleared, and the requested run never happened).
    /// <inheritdoc />
    public async Task<bool> TriggerAsync(string app, string jobName, OperatorAction action, CancellationToken cancellationToken) =>
        (await JobWriteAsync(app, jobName, AuditActions.Trigger, action,
            $"""
            UPDATE jobs SET trigger_requested_at = COALESCE(trigger_requested_at,
                    CASE WHEN owner_node IS NOT NULL AND claimed_at >= {Now} THEN claimed_at + 1 ELSE {Now} END),
                updated_at = {Now}
            WHERE app = $app AND name = $name;
            """,
            cancellationToken).ConfigureAwait(false)).Exists;

    // The update, its audit row when it changed the row, and the row's state, in one write transaction: an action and
    // its audit row commit together.
    private async Task<(bool Exists, bool Changed, bool Paused)> JobWriteAsync(string app, string jobName, string auditAction, OperatorAction action, string update, CancellationToken cancellationToken, params (string, object?)[] extra)
    {
        StoreRules.Job(app, jobName);
        ArgumentNullException.ThrowIfNull(action);
        action.Validate();
        (string, object?)[] parameters = [("$app", app), ("$name", jobName), ("$reason", action.Reason), ("$expired_only", action.OnlyExpiredPause ? 1 : 0), .. extra];
        var (exists, changed, paused) = await WriteAsync(async (connection, transaction) =>
        {
            var rows = await ExecuteAsync(connection, transaction, update, cancellationToken, parameters).ConfigureAwait(false);
            if (rows > 0)
            {
                var until = auditAction == AuditActions.Pause ? extra.First(p => p.Item1 == "$until").Item2 : null;
                await ExecuteAsync(connection, transaction, AuditSql, cancellationToken, ("$app", app), ("$name", jobName),
                    ("$action", auditAction), ("$actor", action.Actor), ("$reason", action.Reason), ("$until", until)).ConfigureAwait(false);
            }

            var state = await ScalarAsync(connection, transaction, JobPausedSql, cancellationToken, parameters).ConfigureAwait(false);
            return (state is not null, rows > 0, state is long flag && flag != 0);
        }, cancellationToken).ConfigureAwait(false);
        if (changed) Notify(app);
        return (exists, changed, paused);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<AuditRecord>> QueryAuditAsync(string app, AuditQuery query, CancellationToken cancellationToken)
    {
        SqlNames.ValidateApp(app);
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        // Keyset paging on audit_by_app (app, id DESC).
        await using var command = Command(connection, null, """
            SELECT id, job_name, action, actor, reason, pause_until, at FROM audit
            WHERE app = $app AND ($name IS NULL OR job_name = $name) AND ($before_id IS NULL OR id < $before_id)
            ORDER BY id DESC LIMIT $limit;
            """, ("$app", app), ("$name", query.JobName), ("$before_id", query.BeforeId), ("$limit", query.Limit));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var rows = new List<AuditRecord>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(new AuditRecord(reader.GetInt64(0), reader.GetString(1), AuditActions.Parse(reader.GetString(2)), reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4), NullableTime(reader, 5), FromMs(reader.GetInt64(6))));
        }

        return rows;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<string>> ListExpiredPausesAsync(string app, CancellationToken cancellationToken)
    {
        SqlNames.ValidateApp(app);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        // Through jobs_pause_until, which holds only timed pauses.
        await using var command = Command(connection, null,
            $"SELECT name FROM jobs WHERE app = $app AND paused <> 0 AND pause_until IS NOT NULL AND pause_until <= {Now} ORDER BY name;", ("$app", app));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var names = new List<string>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) names.Add(reader.GetString(0));
        return names;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<RunRecord>> QueryHistoryAsync(string app, string? jobName, HistoryQuery query, CancellationToken cancellationToken)
    {
        StoreRules.History(app, jobName, query);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        // Keyset paging on the (app, job_name, id DESC) index; the optional filters are parameters, never spliced.
        await using var command = Command(connection, null, """
            SELECT id, job_name, occurrence_at, attempt, node_id, fence, status, started_at, finished_at, duration_ms,
                   error_type, error_message, manual
            FROM runs
            WHERE app = $app AND ($name IS NULL OR job_name = $name)
              AND ($before_id IS NULL OR id < $before_id)
              AND ($status IS NULL OR status = $status)
            ORDER BY id DESC LIMIT $limit;
            """, ("$app", app), ("$name", jobName), ("$before_id", query.BeforeId),
            ("$status", query.Status is { } status ? (int)status : null), ("$limit", query.Limit));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var runs = new List<RunRecord>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            runs.Add(new RunRecord(
                reader.GetInt64(0), reader.GetString(1), FromMs(reader.GetInt64(2)), reader.GetInt32(3),
                reader.GetString(4), reader.GetInt64(5), (RunStatus)reader.GetInt32(6), NullableTime(reader, 7),
                FromMs(reader.GetInt64(8)), TimeSpan.FromMilliseconds(reader.GetInt64(9)),
                reader.IsDBNull(10) ? null : reader.GetString(10), reader.IsDBNull(11) ? null : reader.GetString(11),
                reader.GetInt64(12) != 0));
        }

        return runs;
    }

    /// <inheritdoc />
    public Task<int> PruneHistoryAsync(string app, TimeSpan? maxAge, int? keepPerJob, int batchSize, CancellationToken cancellationToken)
    {
        StoreRules.Prune(app, maxAge, keepPerJob, batchSize);
        // Each batch is its own short BEGIN IMMEDIATE transaction, so claims and completions of running nodes interleave.
        return StoreRules.PruneAsync(maxAge, keepPerJob, batchSize,
            age => WriteAsync((connection, transaction) => ExecuteAsync(connection, transaction, PruneByAgeSql, cancellationToken,
                ("$app", app), ("$max_age", ToMs(age)), ("$batch", batchSize)), cancellationToken),
            () => HistoryJobNamesAsync(app, cancellationToken),
            (name, keep) => WriteAsync((connection, transaction) => ExecuteAsync(connection, transaction, PruneByCountSql, cancellationToken,
                ("$app", app), ("$name", name), ("$keep", keep), ("$batch", batchSize)), cancellationToken));
    }

    private async Task<IReadOnlyList<string>> HistoryJobNamesAsync(string app, CancellationToken cancellationToken)
    {
        var names = new List<string>();
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, HistoryJobNamesSql, ("$app", app));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) names.Add(reader.GetString(0));
        return names;
    }

    // Oldest first through runs_by_finish (app, finished_at), one bounded batch per write transaction: the search stops
    // at the first row young enough to keep, so the last batch reads nothing.
    internal static readonly string PruneByAgeSql = $"""
        DELETE FROM runs WHERE id IN (
            SELECT id FROM runs WHERE app = $app AND finished_at < {Now} - $max_age ORDER BY finished_at LIMIT $batch);
        """;

    // The job names that have history, one index probe per name on runs_by_job (a skip scan: each step asks for the
    // first name after the previous one); SELECT DISTINCT read every history row of the app. Names come from runs, not
    // jobs, so the history of a removed job is still trimmed.
    internal const string HistoryJobNamesSql = """
        WITH RECURSIVE names (name) AS (
            SELECT (SELECT job_name FROM runs WHERE app = $app ORDER BY job_name LIMIT 1)
            UNION ALL
            SELECT (SELECT r.job_name FROM runs r WHERE r.app = $app AND r.job_name > n.name ORDER BY r.job_name LIMIT 1)
            FROM names n
            WHERE n.name IS NOT NULL)
        SELECT name FROM names WHERE name IS NOT NULL;
        """;

    // Everything older than the job's keep-th newest row, through the (app, job_name, id DESC) index.
    internal const string PruneByCountSql = """
        DELETE FROM runs WHERE id IN (
            SELECT id FROM runs
            WHERE app = $app AND job_name = $name
              AND id < (SELECT id FROM runs WHERE app = $app AND job_name = $name ORDER BY id DESC LIMIT 1 OFFSET $keep - 1)
            ORDER BY id LIMIT $batch);
        """;

    /// <inheritdoc />
    public async Task<IReadOnlyList<NodeRow>> ListNodesAsync(string app, CancellationToken cancellationToken)
    {
        SqlNames.ValidateApp(app);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null,
            "SELECT node_id, host, pid, started_at, heartbeat_at, job_names, library_version, deployment_version, runtime " +
            "FROM nodes WHERE app = $app ORDER BY heartbeat_at DESC, node_id;",
            ("$app", app));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var nodes = new List<NodeRow>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            nodes.Add(new NodeRow(reader.GetString(0), reader.GetString(1), reader.GetInt32(2),
                FromMs(reader.GetInt64(3)), FromMs(reader.GetInt64(4)),
                SqliteJson.ReadNames(reader.GetString(5)))
            {
                LibraryVersion = reader.IsDBNull(6) ? null : reader.GetString(6),
                DeploymentVersion = reader.IsDBNull(7) ? null : reader.GetInt64(7),
                Runtime = reader.IsDBNull(8) ? null : reader.GetString(8),
            });
        }

        return nodes;
    }
}
