using Microsoft.Data.Sqlite;

namespace DistCron.Storage.Sqlite;

// The seed (under the write lock, so its clock read and its upsert see the same rows) and node registration.
internal sealed partial class SqliteJobStore
{
    /// <inheritdoc />
    public async Task SeedAsync(string app, IReadOnlyList<SeedJob> jobs, CancellationToken cancellationToken)
    {
        StoreRules.Seed(app, jobs);
        if (jobs.Count == 0) return;

        // The whole batch travels as one JSON parameter: one statement, any batch size, no SQL built from values.
        var names = SqliteJson.Names(jobs.Select(j => j.Name));

        await WriteAsync(async (connection, transaction) =>
        {
            // BEGIN IMMEDIATE made this the only writer: the clock and the rows read here cannot change before the
            // upsert, so a due time computed from them never names an occurrence that ran or is running meanwhile.
            var (now, inFlight) = await ReadSeedStateAsync(connection, transaction, app, names, cancellationToken).ConfigureAwait(false);
            var batch = SqliteJson.SeedBatch(jobs.Select(j => j with
            {
                NextDueAt = j.DueUnderLock(now, inFlight.TryGetValue(j.Name, out var running) ? running : null),
                FirstDueAfter = null,
            }));
            await ExecuteAsync(connection, transaction, SeedUpsertSql, cancellationToken, ("$app", app), ("$batch", batch)).ConfigureAwait(false);
            return 0;
        }, cancellationToken).ConfigureAwait(false);
        Notify(app);
    }

    // The database time and, per seeded name, the occurrence a node is running: claimed rows, unless the claim is a
    // manual trigger's run, which is not the row's occurrence (claimed_manual).
    private static async Task<(DateTimeOffset Now, Dictionary<string, DateTimeOffset> InFlight)> ReadSeedStateAsync(
        SqliteConnection connection, SqliteTransaction transaction, string app, string names, CancellationToken cancellationToken)
    {
        var now = FromMs((long)(await ScalarAsync(connection, transaction, $"SELECT {Now};", cancellationToken).ConfigureAwait(false))!);
        var inFlight = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        await using var command = Command(connection, transaction, """
            SELECT name, occurrence_at FROM jobs
            WHERE app = $app AND owner_node IS NOT NULL AND claimed_manual = 0 AND occurrence_at IS NOT NULL
              AND name IN (SELECT value FROM json_each($names));
            """, ("$app", app), ("$names", names));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) inFlight[reader.GetString(0)] = FromMs(reader.GetInt64(1));
        return (now, inFlight);
    }

    /// <inheritdoc />
    public async Task RegisterNodeAsync(NodeInfo node, TimeSpan liveWindow, CancellationToken cancellationToken)
    {
        StoreRules.Register(node, liveWindow);
        var names = SqliteJson.Names(node.JobNames);

        var fingerprint = await WriteAsync(async (connection, transaction) =>
        {
            (string, object?)[] parameters = [("$app", node.App), ("$node", node.NodeId), ("$host", node.Host), ("$pid", node.ProcessId),
                ("$names", names), ("$window", ToMs(liveWindow)),
                ("$library_version", node.LibraryVersion), ("$deployment_version", node.DeploymentVersion), ("$runtime", node.Runtime)];
            await ExecuteAsync(connection, transaction, RegisterNodeSql, cancellationToken, parameters).ConfigureAwait(false);
            return (string)(await ScalarAsync(connection, transaction, OtherLiveNodesSql, cancellationToken, parameters).ConfigureAwait(false))!;
        }, cancellationToken).ConfigureAwait(false);
        _seenNodes[(node.App, node.NodeId)] = fingerprint; // only after the commit: a failed registration is redone
    }

    /// <inheritdoc />
    public Task UnregisterNodeAsync(string app, string nodeId, CancellationToken cancellationToken)
    {
        StoreRules.Node(app, nodeId);
        _seenNodes.TryRemove((app, nodeId), out _);
        return WriteAsync(async (connection, transaction) =>
        {
            await ExecuteAsync(connection, transaction, "DELETE FROM nodes WHERE app = $app AND node_id = $node;", cancellationToken,
                ("$app", app), ("$node", nodeId)).ConfigureAwait(false);
            return 0;
        }, cancellationToken);
    }
}
