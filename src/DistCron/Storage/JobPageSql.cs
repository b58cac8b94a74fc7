namespace DistCron.Storage;

/// <summary>What differs between the dialects in the jobs page and count statements.</summary>
/// <param name="Param">The parameter prefix ("@" or "$").</param>
/// <param name="Now">The database's now, in the unit of the time columns.</param>
/// <param name="IntegerFlags">Flags are 0/1 integers (SQLite), not booleans.</param>
/// <param name="ContainsFunction">A function (text, part) returning the 1-based position of part, 0 when absent.</param>
internal sealed record JobSqlDialect(string Param, string Now, bool IntegerFlags, string ContainsFunction);

/// <summary>
/// The WHERE and ORDER BY of a page of jobs and the state counts, built from fixed fragments (user text only ever goes
/// in parameters): app, search, grace (overdue), after_key and after_name (the cursor).
/// </summary>
/// <remarks>
/// Ordering by name with no filter walks the primary key (app, name) and stops after the page. Filters and the other
/// sorts read the app's rows once and keep the top of the page (a bounded sort): no index matches a state filter (the
/// states depend on now()), and a new index would tax every claim and completion to speed up a page an operator opens.
/// </remarks>
internal static class JobPageSql
{
    public static string Where(JobSqlDialect d, JobPageQuery query, bool hasCursor, long? cursorKey)
    {
        var where = AppAndSearch(d, query.Search);
        if (query.State is { } state) where += " AND " + State(d, state);
        if (hasCursor) where += " AND " + Keyset(d, query.Sort, cursorKey is not null);
        return where;
    }

    public static string AppAndSearch(JobSqlDialect d, string? search) =>
        string.IsNullOrEmpty(search) ? $"app = {d.Param}app" : $"app = {d.Param}app AND {d.ContainsFunction}(lower(name), lower({d.Param}search)) > 0";

    /// <summary>The page from the rows read with LIMIT <c>Limit + 1</c>: one more row than shown says whether a next page exists.</summary>
    public static JobListPage Page(List<JobRow> rows, JobPageQuery query)
    {
        if (rows.Count <= query.Limit) return new JobListPage(rows, null);
        rows.RemoveAt(rows.Count - 1);
        return new JobListPage(rows, JobCursor.Encode(query.Sort, rows[^1]));
    }

    public static string OrderBy(JobSort sort) => Column(sort) is { } column
        ? $"{column} {(sort == JobSort.NextDue ? "ASC" : "DESC")} NULLS LAST, name"
        : "name";

    /// <summary>count(*) of all, then one count per <see cref="JobState"/> in enum order.</summary>
    public static string Counts(JobSqlDialect d) =>
        "count(*), " + string.Join(", ", Enum.GetValues<JobState>().Select(s => $"count(*) FILTER (WHERE {State(d, s)})"));

    public static string State(JobSqlDialect d, JobState state) => state switch
    {
        JobState.Running => Running(d),
        JobState.Overdue => $"(error IS NULL AND {Not(d, "paused")} AND {Not(d, "disabled")} AND NOT {Running(d)} AND next_due_at < {d.Now} - {d.Param}grace)",
        JobState.Errored => "error IS NOT NULL",
        JobState.Failing => $"last_status IN ({(int)RunStatus.Failed}, {(int)RunStatus.TimedOut})",
        JobState.Paused => Is(d, "paused"),
        JobState.Orphaned => Is(d, "orphaned"),
        JobState.Disabled => Is(d, "disabled"),
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, "Unknown job state."),
    };

    /// <summary>The sort column (null: name), which <see cref="JobCursor.Key"/> reads from the row.</summary>
    public static string? Column(JobSort sort) => sort switch
    {
        JobSort.NextDue => "next_due_at",
        JobSort.LastFinished => "last_finished_at",
        JobSort.LastDuration => "last_duration_ms",
        _ => null,
    };

    // Rows after the cursor in ORDER BY's order: a null key sorts last, so after a null only nulls with a later name follow.
    private static string Keyset(JobSqlDialect d, JobSort sort, bool keyNotNull)
    {
        if (Column(sort) is not { } column) return $"name > {d.Param}after_name";
        if (!keyNotNull) return $"({column} IS NULL AND name > {d.Param}after_name)";
        var beyond = sort == JobSort.NextDue ? ">" : "<";
        return $"({column} {beyond} {d.Param}after_key OR ({column} = {d.Param}after_key AND name > {d.Param}after_name) OR {column} IS NULL)";
    }

    // Running also needs a lease in the future: a lease past its end means the node died and the row waits to be re-claimed.
    private static string Running(JobSqlDialect d) => $"(owner_node IS NOT NULL AND lease_until IS NOT NULL AND lease_until > {d.Now})";

    private static string Is(JobSqlDialect d, string flag) => d.IntegerFlags ? $"{flag} <> 0" : flag;

    private static string Not(JobSqlDialect d, string flag) => d.IntegerFlags ? $"{flag} = 0" : $"NOT {flag}";
}
