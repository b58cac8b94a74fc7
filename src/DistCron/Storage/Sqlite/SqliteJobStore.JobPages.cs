namespace DistCron.Storage.Sqlite;

// The dashboard's reads of the jobs table: one page, and the counts per state.
internal sealed partial class SqliteJobStore
{
    private static readonly JobSqlDialect Dialect = new("$", Now, IntegerFlags: true, ContainsFunction: "instr");

    /// <inheritdoc />
    public async Task<JobRow?> GetJobAsync(string app, string jobName, CancellationToken cancellationToken)
    {
        SqlNames.ValidateApp(app);
        ArgumentException.ThrowIfNullOrEmpty(jobName);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, $"SELECT {ListColumns} FROM jobs WHERE app = $app AND name = $name;", ("$app", app), ("$name", jobName));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadJob(reader) : null;
    }

    /// <inheritdoc />
    public async Task<JobListPage> QueryJobsAsync(string app, JobPageQuery query, CancellationToken cancellationToken)
    {
        var cursor = StoreRules.JobPage(app, query);
        var parameters = new List<(string, object?)> { ("$app", app), ("$limit", query.Limit + 1) };
        if (!string.IsNullOrEmpty(query.Search)) parameters.Add(("$search", query.Search));
        if (query.State == JobState.Overdue) parameters.Add(("$grace", ToMs(query.OverdueAfter)));
        if (cursor is { } c)
        {
            parameters.Add(("$after_name", c.Name));
            // Times are stored in milliseconds; the cursor holds microseconds.
            if (c.Key is { } key) parameters.Add(("$after_key", query.Sort == JobSort.LastDuration ? key : key / 1000));
        }

        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null,
            $"SELECT {ListColumns} FROM jobs WHERE {JobPageSql.Where(Dialect, query, cursor is not null, cursor?.Key)} " +
            $"ORDER BY {JobPageSql.OrderBy(query.Sort)} LIMIT $limit;",
            [.. parameters]);
        var rows = new List<JobRow>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) rows.Add(ReadJob(reader));
        return JobPageSql.Page(rows, query);
    }

    /// <inheritdoc />
    public async Task<JobCounts> CountJobsAsync(string app, TimeSpan overdueAfter, string? search, CancellationToken cancellationToken)
    {
        StoreRules.JobCounts(app, overdueAfter);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, $"SELECT {JobPageSql.Counts(Dialect)} FROM jobs WHERE {JobPageSql.AppAndSearch(Dialect, search)};",
            ("$app", app), ("$grace", ToMs(overdueAfter)), ("$search", search ?? ""));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        int At(int i) => checked((int)reader.GetInt64(i));
        return new JobCounts(At(0), At(1), At(2), At(3), At(4), At(5), At(6), At(7));
    }
}
