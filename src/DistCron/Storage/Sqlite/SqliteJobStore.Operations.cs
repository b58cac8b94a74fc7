
namespace DistCron.Storage.Sqlite;

/// <summary>Operator actions (pause, resume, trigger), history queries, retention and node listing.</summary>
public sealed partial class SqliteJobStore
{
    private const string JobExistsSql = "SELECT EXISTS (SELECT 1 FROM jobs WHERE app = $app AND name = $name);";

    /// <inheritdoc />
    public Task<bool> PauseAsync(string app, string jobName, CancellationToken cancellationToken) =>
        JobWriteAsync(app, jobName, $"UPDATE jobs SET paused = 1, updated_at = {Now} WHERE app = $app AND name = $name AND paused = 0;",
            cancellationToken);

    /// <inheritdoc />
    public Task<bool> ResumeAsync(string app, string jobName, DateTimeOffset? nextDueAt, CancellationToken cancellationToken) =>
        JobWriteAsync(app, jobName, $"""
            UPDATE jobs SET paused = 0, updated_at = {Now},
                next_due_at = CASE WHEN $has_due THEN $due_at ELSE next_due_at END,
                occurrence_at = CASE WHEN $has_due THEN $due_at ELSE occurrence_at END,
                attempt = CASE WHEN $has_due THEN 1 ELSE attempt END
            WHERE app = $app AND name = $name AND paused <> 0;
            """, cancellationToken, ("$has_due", nextDueAt.HasValue ? 1 : 0), ("$due_at", ToMs(nextDueAt)));

    // COALESCE: a request already pending keeps its (earlier) time, so repeated triggers before a run give one run.
    /// <inheritdoc />
    public Task<bool> TriggerAsync(string app, string jobName, CancellationToken cancellationToken) =>
        JobWriteAsync(app, jobName,
            $"UPDATE jobs SET trigger_requested_at = COALESCE(trigger_requested_at, {Now}), updated_at = {Now} WHERE app = $app AND name = $name;",
            cancellationToken);

    private async Task<bool> JobWriteAsync(string app, string jobName, string update, CancellationToken cancellationToken, params (string, object?)[] extra)
    {
        SqlNames.ValidateApp(app);
        ArgumentException.ThrowIfNullOrEmpty(jobName);
        (string, object?)[] parameters = [("$app", app), ("$name", jobName), .. extra];
        var (exists, changed) = await WriteAsync(async (connection, transaction) =>
        {
            var rows = await ExecuteAsync(connection, transaction, update, cancellationToken, parameters).ConfigureAwait(false);
            var found = (long)(await ScalarAsync(connection, transaction, JobExistsSql, cancellationToken, parameters).ConfigureAwait(false))! != 0;
            return (found, rows > 0);
        }, cancellationToken).ConfigureAwait(false);
        if (changed) Notify(app);
        return exists;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<RunRecord>> QueryHistoryAsync(string app, string? jobName, HistoryQuery query, CancellationToken cancellationToken)
    {
        SqlNames.ValidateApp(app);
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
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
    public async Task<int> PruneHistoryAsync(string app, TimeSpan? maxAge, int? keepPerJob, int batchSize, CancellationToken cancellationToken)
    {
        SqlNames.ValidateApp(app);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        if (maxAge is { } age && age <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(maxAge), maxAge, "The history age limit must be positive, or null for none.");
        if (keepPerJob is < 1) throw new ArgumentOutOfRangeException(nameof(keepPerJob), keepPerJob, "The runs kept per job must be at least 1, or null for no limit.");

        var deleted = 0;
        if (maxAge is { } limit)
        {
            // Oldest first in id order (ids grow with time), one bounded batch per write transaction.
            deleted += await DeleteInBatchesAsync($"""
                DELETE FROM runs WHERE id IN (
                    SELECT id FROM runs WHERE app = $app AND finished_at < {Now} - $max_age ORDER BY id LIMIT $batch);
                """, batchSize, cancellationToken, ("$app", app), ("$max_age", ToMs(limit))).ConfigureAwait(false);
        }

        if (keepPerJob is { } keep)
        {
            var names = new List<string>();
            await using (var connection = await OpenAsync(cancellationToken).ConfigureAwait(false))
            await using (var command = Command(connection, null, "SELECT DISTINCT job_name FROM runs WHERE app = $app;", ("$app", app)))
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) names.Add(reader.GetString(0));
            }

            foreach (var name in names)
            {
                // Everything older than the job's keep-th newest row, through the (app, job_name, id DESC) index.
                deleted += await DeleteInBatchesAsync("""
                    DELETE FROM runs WHERE id IN (
                        SELECT id FROM runs
                        WHERE app = $app AND job_name = $name
                          AND id < (SELECT id FROM runs WHERE app = $app AND job_name = $name ORDER BY id DESC LIMIT 1 OFFSET $keep - 1)
                        ORDER BY id LIMIT $batch);
                    """, batchSize, cancellationToken, ("$app", app), ("$name", name), ("$keep", keep)).ConfigureAwait(false);
            }
        }

        return deleted;
    }

    // Each batch is its own short BEGIN IMMEDIATE transaction, so claims and completions of running nodes interleave.
    private async Task<int> DeleteInBatchesAsync(string sql, int batchSize, CancellationToken cancellationToken, params (string, object?)[] parameters)
    {
        (string, object?)[] all = [.. parameters, ("$batch", batchSize)];
        var total = 0;
        while (true)
        {
            var deleted = await WriteAsync((connection, transaction) =>
                ExecuteAsync(connection, transaction, sql, cancellationToken, all), cancellationToken).ConfigureAwait(false);
            total += deleted;
            if (deleted < batchSize) return total;
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<NodeRow>> ListNodesAsync(string app, CancellationToken cancellationToken)
    {
        SqlNames.ValidateApp(app);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null,
            "SELECT node_id, host, pid, started_at, heartbeat_at, job_names FROM nodes WHERE app = $app ORDER BY heartbeat_at DESC, node_id;",
            ("$app", app));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var nodes = new List<NodeRow>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            nodes.Add(new NodeRow(reader.GetString(0), reader.GetString(1), reader.GetInt32(2),
                FromMs(reader.GetInt64(3)), FromMs(reader.GetInt64(4)),
                SqliteJson.ReadNames(reader.GetString(5))));
        }

        return nodes;
    }
}
