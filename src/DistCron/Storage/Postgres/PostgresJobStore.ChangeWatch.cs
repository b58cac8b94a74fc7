using Npgsql;

namespace DistCron.Storage.Postgres;

internal sealed partial class PostgresJobStore : IStoreChangeWatch
{
    // Aggregates only: what the pages show that no NOTIFY announces. sum(fence) moves with every claim; the running
    // count with every completion and every lease that ran out; max(last_finished_at) and the runs' max(finished_at)
    // with completions (runs_finished_idx answers the latter from the index's end); the node counts with joins,
    // departures and silences (a time-based change no write announces). The jobs aggregate reads the app's job rows
    // (no index holds fence or lease columns, so claims and heartbeats stay HOT updates).
    private const string ChangeTokenSql = """
        SELECT j.jobs, j.fences, j.running, j.orphaned, j.finished, r.finished, n.nodes, n.live
        FROM (SELECT count(*) AS jobs, coalesce(sum(fence), 0) AS fences,
                     count(*) FILTER (WHERE owner_node IS NOT NULL AND lease_until > now()) AS running,
                     count(*) FILTER (WHERE orphaned) AS orphaned, max(last_finished_at) AS finished
              FROM {schema}.jobs WHERE app = @app) j,
             (SELECT max(finished_at) AS finished FROM {schema}.runs WHERE app = @app) r,
             (SELECT count(*) AS nodes, count(*) FILTER (WHERE heartbeat_at >= now() - @window) AS live
              FROM {schema}.nodes WHERE app = @app) n
        """;

    /// <inheritdoc />
    public Task NextSignalAsync(string app) => _listener.NextSignal(SqlNames.ValidateApp(app));

    /// <inheritdoc />
    public async Task<long> ReadChangeTokenAsync(string app, TimeSpan nodeLiveWindow, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(Bind(ChangeTokenSql));
        command.Parameters.AddWithValue("app", app);
        command.Parameters.AddWithValue("window", nodeLiveWindow);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        var hash = new HashCode();
        for (var i = 0; i < reader.FieldCount; i++) hash.Add(reader.IsDBNull(i) ? null : reader.GetValue(i));
        return ((long)reader.GetInt64(0) << 32) ^ (uint)hash.ToHashCode();
    }
}
