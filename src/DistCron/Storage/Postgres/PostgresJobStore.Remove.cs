using Npgsql;

namespace DistCron.Storage.Postgres;

/// <summary>Operator maintenance: removing a job no code runs any more, and listing the apps the schema holds.</summary>
internal sealed partial class PostgresJobStore
{
    // The row lock is taken first: a claim skips a locked row (SKIP LOCKED) instead of taking it between the checks and
    // the delete, and a completion or seed waits for the outcome. The nodes are read after it, so a node registered
    // before the lock is seen.
    private const string RemoveLockJobSql = """
        SELECT CASE WHEN owner_node IS NOT NULL AND lease_until > now() THEN owner_node END
        FROM {schema}.jobs WHERE app = @app AND name = @name
        FOR UPDATE
        """;

    private const string RemoveLiveNodesSql = """
        SELECT node_id FROM {schema}.nodes
        WHERE app = @app AND @name = ANY (job_names) AND heartbeat_at > now() - @live_window
        ORDER BY node_id
        """;

    private const string RemoveJobSql = "DELETE FROM {schema}.jobs WHERE app = @app AND name = @name";

    // runs_job_idx (app, job_name, id DESC) finds the rows.
    private const string RemoveRunsSql = "DELETE FROM {schema}.runs WHERE app = @app AND job_name = @name";

    private const string ListAppsSql = "SELECT app FROM {schema}.jobs UNION SELECT app FROM {schema}.nodes ORDER BY 1";

    /// <inheritdoc />
    public async Task<JobRemoval> RemoveJobAsync(string app, string jobName, TimeSpan liveWindow, bool deleteHistory, CancellationToken cancellationToken)
    {
        SqlNames.ValidateApp(app);
        ArgumentException.ThrowIfNullOrEmpty(jobName);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(liveWindow, TimeSpan.Zero);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);

        string? leaseHolder;
        await using (var lockJob = JobCommand(connection, transaction, RemoveLockJobSql, app, jobName))
        await using (var reader = await lockJob.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) return new JobRemoval(JobRemovalOutcome.NotFound, [], 0);
            leaseHolder = NullableString(reader, 0);
        }

        var liveNodes = new List<string>();
        await using (var nodes = JobCommand(connection, transaction, RemoveLiveNodesSql, app, jobName))
        {
            nodes.Parameters.AddWithValue("live_window", liveWindow);
            await using var reader = await nodes.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) liveNodes.Add(reader.GetString(0));
        }

        // Nothing was written: disposing the transaction rolls back and releases the row lock.
        if (liveNodes.Count > 0) return new JobRemoval(JobRemovalOutcome.LiveNodeHasCode, liveNodes, 0);
        if (leaseHolder is not null) return new JobRemoval(JobRemovalOutcome.Claimed, [leaseHolder], 0);

        await using (var deleteJob = JobCommand(connection, transaction, RemoveJobSql, app, jobName))
        {
            await deleteJob.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        long runs = 0;
        if (deleteHistory)
        {
            await using var deleteRuns = JobCommand(connection, transaction, RemoveRunsSql, app, jobName);
            runs = await deleteRuns.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new JobRemoval(JobRemovalOutcome.Removed, [], runs);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<string>> ListAppsAsync(CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(Bind(ListAppsSql));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var apps = new List<string>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) apps.Add(reader.GetString(0));
        return apps.Order(StringComparer.Ordinal).ToArray();
    }

    private NpgsqlCommand JobCommand(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, string app, string jobName)
    {
        var command = new NpgsqlCommand(Bind(sql), connection, transaction);
        command.Parameters.AddWithValue("app", app);
        command.Parameters.AddWithValue("name", jobName);
        return command;
    }
}
