using Npgsql;
using NpgsqlTypes;

namespace DistCron.Storage.Postgres;

// The dashboard's reads of the jobs table: one page, and the counts per state.
internal sealed partial class PostgresJobStore
{
    private static readonly JobSqlDialect Dialect = new("@", "now()", IntegerFlags: false, ContainsFunction: "strpos");

    /// <inheritdoc />
    public async Task<JobRow?> GetJobAsync(string app, string jobName, CancellationToken cancellationToken)
    {
        SqlNames.ValidateApp(app);
        ArgumentException.ThrowIfNullOrEmpty(jobName);
        await using var command = _dataSource.CreateCommand($"SELECT {ListColumns} FROM {_schema}.jobs WHERE app = @app AND name = @name");
        command.Parameters.AddWithValue("app", app);
        command.Parameters.AddWithValue("name", jobName);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadJob(reader) : null;
    }

    /// <inheritdoc />
    public async Task<JobListPage> QueryJobsAsync(string app, JobPageQuery query, CancellationToken cancellationToken)
    {
        var cursor = StoreRules.JobPage(app, query);
        await using var command = _dataSource.CreateCommand(
            $"SELECT {ListColumns} FROM {_schema}.jobs WHERE {JobPageSql.Where(Dialect, query, cursor is not null, cursor?.Key)} " +
            $"ORDER BY {JobPageSql.OrderBy(query.Sort)} LIMIT @limit");
        command.Parameters.AddWithValue("app", app);
        command.Parameters.AddWithValue("limit", query.Limit + 1);
        if (!string.IsNullOrEmpty(query.Search)) command.Parameters.AddWithValue("search", query.Search);
        if (query.State == JobState.Overdue) command.Parameters.AddWithValue("grace", query.OverdueAfter);
        if (cursor is { } c)
        {
            command.Parameters.AddWithValue("after_name", c.Name);
            if (c.Key is { } key)
            {
                if (query.Sort == JobSort.LastDuration) command.Parameters.AddWithValue("after_key", key);
                else command.Parameters.AddWithValue("after_key", NpgsqlDbType.TimestampTz, JobCursor.FromMicros(key));
            }
        }

        var rows = new List<JobRow>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) rows.Add(ReadJob(reader));
        return JobPageSql.Page(rows, query);
    }

    /// <inheritdoc />
    public async Task<JobCounts> CountJobsAsync(string app, TimeSpan overdueAfter, string? search, CancellationToken cancellationToken)
    {
        StoreRules.JobCounts(app, overdueAfter);
        await using var command = _dataSource.CreateCommand($"SELECT {JobPageSql.Counts(Dialect)} FROM {_schema}.jobs WHERE {JobPageSql.AppAndSearch(Dialect, search)}");
        command.Parameters.AddWithValue("app", app);
        if (!string.IsNullOrEmpty(search)) command.Parameters.AddWithValue("search", search);
        command.Parameters.AddWithValue("grace", overdueAfter);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return ReadCounts(reader);
    }

    private static JobCounts ReadCounts(NpgsqlDataReader reader)
    {
        int At(int i) => checked((int)reader.GetInt64(i));
        return new JobCounts(At(0), At(1), At(2), At(3), At(4), At(5), At(6), At(7));
    }
}
