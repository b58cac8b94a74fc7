namespace DistCron.Storage.Sqlite;

/// <summary>Operator maintenance: removing a job no code runs any more, and listing the apps the file holds.</summary>
internal sealed partial class SqliteJobStore
{
    /// <inheritdoc />
    public Task<JobRemoval> RemoveJobAsync(string app, string jobName, TimeSpan liveWindow, bool deleteHistory, CancellationToken cancellationToken)
    {
        SqlNames.ValidateApp(app);
        ArgumentException.ThrowIfNullOrEmpty(jobName);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(liveWindow, TimeSpan.Zero);

        // BEGIN IMMEDIATE makes this the only writer: no claim, registration or seed lands between the checks and the
        // delete. When refused nothing was written, so the commit changes nothing.
        return WriteAsync(async (connection, transaction) =>
        {
            (string, object?)[] job = [("$app", app), ("$name", jobName)];
            var leaseHolder = await ScalarAsync(connection, transaction,
                $"SELECT CASE WHEN owner_node IS NOT NULL AND lease_until > {Now} THEN owner_node ELSE '' END FROM jobs WHERE app = $app AND name = $name;",
                cancellationToken, job).ConfigureAwait(false);
            if (leaseHolder is null) return new JobRemoval(JobRemovalOutcome.NotFound, [], 0);

            var liveNodes = new List<string>();
            await using (var command = Command(connection, transaction, $"""
                SELECT DISTINCT n.node_id FROM nodes n, json_each(n.job_names) j
                WHERE n.app = $app AND j.value = $name AND n.heartbeat_at > {Now} - $window
                ORDER BY n.node_id;
                """, [.. job, ("$window", ToMs(liveWindow))]))
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) liveNodes.Add(reader.GetString(0));
            }

            if (liveNodes.Count > 0) return new JobRemoval(JobRemovalOutcome.LiveNodeHasCode, liveNodes, 0);
            if (leaseHolder is string { Length: > 0 } holder) return new JobRemoval(JobRemovalOutcome.Claimed, [holder], 0);

            await ExecuteAsync(connection, transaction, "DELETE FROM jobs WHERE app = $app AND name = $name;", cancellationToken, job).ConfigureAwait(false);
            var runs = deleteHistory
                ? await ExecuteAsync(connection, transaction, "DELETE FROM runs WHERE app = $app AND job_name = $name;", cancellationToken, job).ConfigureAwait(false)
                : 0;
            return new JobRemoval(JobRemovalOutcome.Removed, [], runs);
        }, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<string>> ListAppsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, "SELECT app FROM jobs UNION SELECT app FROM nodes;");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var apps = new List<string>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) apps.Add(reader.GetString(0));
        return apps.Order(StringComparer.Ordinal).ToArray();
    }
}
