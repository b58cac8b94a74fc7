using Npgsql;
using NpgsqlTypes;

namespace DistCron.Storage.Postgres;

// The seed: lock the app's existing rows, read the clock under the locks, upsert (see SeedAsync).
internal sealed partial class PostgresJobStore
{
    /// <inheritdoc />
    public async Task SeedAsync(string app, IReadOnlyList<SeedJob> jobs, CancellationToken cancellationToken)
    {
        StoreRules.Seed(app, jobs);
        if (jobs.Count == 0) return;

        var sorted = jobs.OrderBy(j => j.Name, StringComparer.Ordinal).ToArray();
        var names = sorted.Select(j => j.Name).ToArray();
        // A restart with unchanged code (every kill, crash and scale-out) has nothing to write: it must not lock the
        // app's rows, which would hold every other node's heartbeats and completions behind a cold process's seed
        // transaction (leases were lost that way under load). Skipping is the same as having seeded just before
        // whatever write a concurrent seed makes next.
        if (!await SeedHasWorkAsync(app, sorted, names, cancellationToken).ConfigureAwait(false)) return;
        // A name another seed inserts between this seed's lock and its upsert is skipped by the upsert; the next
        // attempt finds the row and locks it. Rows are never inserted and deleted in a loop, so a few attempts do.
        for (var attempt = 1; attempt <= MaxSeedAttempts; attempt++)
        {
            if (await TrySeedAsync(app, sorted, names, cancellationToken).ConfigureAwait(false)) return;
        }

        throw new InvalidOperationException(
            $"Seeding the jobs of app '{app}' kept racing with rows inserted and removed concurrently ({MaxSeedAttempts} attempts); retry the start-up.");
    }

    private const int MaxSeedAttempts = 5;

    // Whether the upsert would change any row: a missing row, or one whose definition differs (and was not written by a
    // node of a newer DeploymentVersion, or of the same one with the same code), or whose declaration facts are stale
    // (and were not written by a newer version), or that is orphaned or errored. The same conditions as SeedSql's WHERE.
    private async Task<bool> SeedHasWorkAsync(string app, SeedJob[] sorted, string[] names, CancellationToken cancellationToken)
    {
        var rows = new Dictionary<string, (string? Hash, bool NeedsWrite, long? Version, string? CodeHash, bool FactsStale, string? Type, string? Method)>(
            StringComparer.Ordinal);
        await using (var command = _dataSource.CreateCommand(_seedCheckSql))
        {
            command.Parameters.AddWithValue("app", app);
            command.Parameters.AddWithValue("names", NpgsqlDbType.Array | NpgsqlDbType.Text, names);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                rows[reader.GetString(0)] = (
                    reader.IsDBNull(1) ? null : reader.GetString(1),
                    reader.GetBoolean(2),
                    reader.IsDBNull(3) ? null : reader.GetInt64(3),
                    reader.IsDBNull(4) ? null : reader.GetString(4),
                    reader.GetBoolean(5),
                    reader.IsDBNull(6) ? null : reader.GetString(6),
                    reader.IsDBNull(7) ? null : reader.GetString(7));
            }
        }

        foreach (var job in sorted)
        {
            if (!rows.TryGetValue(job.Name, out var row) || row.NeedsWrite) return true;
            var definitionDiffers = !string.Equals(row.Hash, job.DefinitionHash, StringComparison.Ordinal);
            var factsDiffer = job.Facts is { } facts && (row.FactsStale
                || !string.Equals(row.Type, facts.DeclaringType, StringComparison.Ordinal)
                || !string.Equals(row.Method, facts.MethodName, StringComparison.Ordinal));
            if (!definitionDiffers && !factsDiffer) continue;
            var keptByRow = job.DefinitionVersion is { } mine && row.Version is { } theirs
                && (mine < theirs || (definitionDiffers && mine == theirs && row.CodeHash is not null
                                      && string.Equals(row.CodeHash, job.CodeHash, StringComparison.Ordinal)));
            if (!keptByRow) return true;
        }

        return false;
    }

    // One transaction: lock the existing rows, read the clock under the locks, compute each due time (after the clock,
    // and after the occurrence a node is running on a claimed row), upsert. Nothing can run an occurrence between the
    // clock read and the write, so a new definition's due time never names an occurrence that already ran.
    // False: some name's row appeared after the lock (another seed inserted it) and was not written.
    private async Task<bool> TrySeedAsync(string app, SeedJob[] sorted, string[] names, CancellationToken cancellationToken)
    {
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                var inFlight = new Dictionary<string, DateTimeOffset?>(StringComparer.Ordinal);
                DateTimeOffset now;
                await using (var lockCommand = new NpgsqlCommand(_seedLockSql, connection, transaction))
                {
                    lockCommand.Parameters.AddWithValue("app", app);
                    lockCommand.Parameters.AddWithValue("names", NpgsqlDbType.Array | NpgsqlDbType.Text, names);
                    await using var reader = await lockCommand.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        inFlight[reader.GetString(0)] = NullableTime(reader, 1);
                    }

                    await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
                    await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                    now = reader.GetFieldValue<DateTimeOffset>(0);
                }

                var written = new HashSet<string>(StringComparer.Ordinal);
                await using (var command = new NpgsqlCommand(_seedSql, connection, transaction))
                {
                    command.Parameters.AddWithValue("app", app);
                    command.Parameters.AddWithValue("channel", _channel);
                    command.Parameters.AddWithValue("names", NpgsqlDbType.Array | NpgsqlDbType.Text, names);
                    command.Parameters.AddWithValue("schedules", NpgsqlDbType.Array | NpgsqlDbType.Text, sorted.Select(j => j.Schedule).ToArray());
                    command.Parameters.AddWithValue("time_zones", NpgsqlDbType.Array | NpgsqlDbType.Text, sorted.Select(j => j.TimeZone).ToArray());
                    command.Parameters.AddWithValue("hashes", NpgsqlDbType.Array | NpgsqlDbType.Text, sorted.Select(j => j.DefinitionHash).ToArray());
                    command.Parameters.AddWithValue("due_at", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz,
                        sorted.Select(j => Utc(j.DueUnderLock(now, inFlight.GetValueOrDefault(j.Name)))).ToArray());
                    command.Parameters.AddWithValue("versions", NpgsqlDbType.Array | NpgsqlDbType.Bigint, sorted.Select(j => j.DefinitionVersion).ToArray());
                    command.Parameters.AddWithValue("disabled", NpgsqlDbType.Array | NpgsqlDbType.Boolean, sorted.Select(j => j.Disabled).ToArray());
                    command.Parameters.AddWithValue("code_hashes", NpgsqlDbType.Array | NpgsqlDbType.Text, sorted.Select(j => j.CodeHash).ToArray());
                    command.Parameters.AddWithValue("declaring_types", NpgsqlDbType.Array | NpgsqlDbType.Text, sorted.Select(j => j.Facts?.DeclaringType).ToArray());
                    command.Parameters.AddWithValue("method_names", NpgsqlDbType.Array | NpgsqlDbType.Text, sorted.Select(j => j.Facts?.MethodName).ToArray());
                    command.Parameters.AddWithValue("options", NpgsqlDbType.Array | NpgsqlDbType.Text, sorted.Select(j => j.FactsOptions).ToArray());
                    command.Parameters.AddWithValue("locked", NpgsqlDbType.Array | NpgsqlDbType.Text, inFlight.Keys.ToArray());
                    await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) written.Add(reader.GetString(0));
                }

                if (names.Any(n => !inFlight.ContainsKey(n) && !written.Contains(n)))
                {
                    await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
                    return false;
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return true;
            }
        }
    }
}
