using Microsoft.Data.Sqlite;

namespace DistCron.Storage.Sqlite;

// The claim (one conditional UPDATE under the write lock), keeping the node's registration alive, and verify.
internal sealed partial class SqliteJobStore
{
    /// <inheritdoc />
    public async Task<ClaimBatch> ClaimDueAsync(ClaimRequest request, CancellationToken cancellationToken)
    {
        StoreRules.Claim(request);
        var (app, nodeId, maxJobs, lease) = request;
        var skip = SqliteJson.Names(request.ExcludedNames ?? []);

        var claimed = new List<ClaimedJob>();
        var (now, earliest, registrationNeeded, pausesEnded) = await WriteAsync(async (connection, transaction) =>
        {
            claimed.Clear();
            await using (var claim = Command(connection, transaction, ClaimSql,
                ("$app", app), ("$node", nodeId), ("$skip", skip), ("$max", maxJobs), ("$lease", ToMs(lease)), ("$ahead", ToMs(request.Ahead))))
            await using (var reader = await claim.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    // Claimed only for a pending trigger (paused, or not yet due): a manual run whose "occurrence"
                    // and due time are the request time; its completion keeps the schedule.
                    var manual = reader.GetInt64(10) != 0;
                    var dueAt = manual ? FromMs(reader.GetInt64(9)) : FromMs(reader.GetInt64(4));
                    claimed.Add(new ClaimedJob(
                        new ClaimToken(app, reader.GetString(0), nodeId, reader.GetInt64(1)),
                        manual || reader.IsDBNull(2) ? dueAt : FromMs(reader.GetInt64(2)),
                        manual ? 1 : reader.GetInt32(3),
                        dueAt,
                        FromMs(reader.GetInt64(5)),
                        reader.GetString(6),
                        reader.GetString(7),
                        reader.GetString(8),
                        manual,
                        reader.GetInt64(11)));
                }
            }

            DateTimeOffset now;
            DateTimeOffset? earliest;
            bool pausesEnded;
            await using (var next = Command(connection, transaction, NextDueSql, ("$app", app), ("$node", nodeId), ("$skip", skip)))
            await using (var row = await next.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                await row.ReadAsync(cancellationToken).ConfigureAwait(false);
                (now, earliest, pausesEnded) = (FromMs(row.GetInt64(0)), row.IsDBNull(1) ? null : FromMs(row.GetInt64(1)), row.GetInt64(2) != 0);
            }

            var registrationNeeded = request.NodeLiveWindow is { } window
                && await KeepRegistrationAliveAsync(connection, transaction, app, nodeId, window, cancellationToken).ConfigureAwait(false);
            return (now, earliest, registrationNeeded, pausesEnded);
        }, cancellationToken).ConfigureAwait(false);

        if (claimed.Count > 0) LogClaimed(_logger, claimed.Count, app, nodeId);
        return new ClaimBatch(claimed, now, earliest, registrationNeeded) { PausesEnded = pausesEnded };
    }

    // See ClaimRequest.NodeLiveWindow: refreshes a live node's heartbeat at most every sixth of the window, and says
    // whether the node must register in full (its row is missing or fell out of the window, or the others changed).
    private async Task<bool> KeepRegistrationAliveAsync(SqliteConnection connection, SqliteTransaction transaction, string app, string nodeId,
        TimeSpan liveWindow, CancellationToken cancellationToken)
    {
        (string, object?)[] parameters = [("$app", app), ("$node", nodeId), ("$window", ToMs(liveWindow))];
        var selfLive = await ScalarAsync(connection, transaction, $"""
            SELECT 1 FROM nodes WHERE app = $app AND node_id = $node AND heartbeat_at >= {Now} - $window;
            """, cancellationToken, parameters).ConfigureAwait(false) is not null;
        if (!selfLive) return true;

        await ExecuteAsync(connection, transaction, $"""
            UPDATE nodes SET heartbeat_at = {Now}
            WHERE app = $app AND node_id = $node AND heartbeat_at <= {Now} - $window / 6;
            """, cancellationToken, parameters).ConfigureAwait(false);
        var fingerprint = (string)(await ScalarAsync(connection, transaction, OtherLiveNodesSql, cancellationToken, parameters).ConfigureAwait(false))!;
        return !_seenNodes.TryGetValue((app, nodeId), out var seen) || seen != fingerprint;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ClaimToken>> VerifyAsync(IReadOnlyList<ClaimToken> claims, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claims);
        if (claims.Count == 0) return [];
        var batch = SqliteJson.ClaimBatch(claims);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, $"""
            SELECT j.app, j.name, j.owner_node, j.fence
            FROM json_each($claims) c
            JOIN jobs j ON j.app = c.value ->> 0 AND j.name = c.value ->> 1
            WHERE j.owner_node = c.value ->> 2 AND j.fence = c.value ->> 3 AND j.lease_until > {Now};
            """, ("$claims", batch));
        var owned = new List<ClaimToken>(claims.Count);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            owned.Add(new ClaimToken(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3)));
        }

        return owned;
    }
}
