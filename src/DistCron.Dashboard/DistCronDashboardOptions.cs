namespace DistCron.Dashboard;

/// <summary>
/// Settings of a mounted dashboard (<see cref="Microsoft.AspNetCore.Builder.DashboardEndpointRouteBuilderExtensions.MapDistCronDashboard"/>).
/// Read-only unless <see cref="ActionsPolicy"/> names the authorization policy that lets a user act.
/// </summary>
public sealed class DistCronDashboardOptions
{
    /// <summary>
    /// The authorization policy a user must meet to trigger, pause and resume jobs, on top of whatever the dashboard's
    /// group requires to look (null, the default: read-only, no action buttons, and every action POST answers 403).
    /// Actions need <c>services.AddAntiforgery()</c>: each POST is refused without a valid antiforgery token.
    /// </summary>
    public string? ActionsPolicy { get; set; }

    /// <summary>Shown in the page titles and header (default "DistCron").</summary>
    public string Title { get; set; } = "DistCron";

    /// <summary>
    /// The longest an open page waits to learn that what it shows changed (default 2 s, at least 100 ms). While at least
    /// one page of this process listens for live updates, the process reads a small summary of the store once per
    /// interval and tells every open page when it changed; with no page open it reads nothing. On PostgreSQL the
    /// store's LISTEN connection also wakes the pages at once for pauses, resumes and triggers, and the interval
    /// covers what sends no notification (claims, completions, nodes); on SQLite the interval is the only signal.
    /// All open pages share the same reads.
    /// </summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// A node is live while its last heartbeat is this recent. Null (default): the client's
    /// <see cref="DistCronClient.NodeLiveWindow"/> (three lease durations, the window nodes use for orphan flags).
    /// </summary>
    public TimeSpan? NodeLiveWindow { get; set; }

    /// <summary>A job counts as overdue when its due time is this far behind the database's now and no node runs it (default 1 min).</summary>
    public TimeSpan OverdueAfter { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Rows per page on the jobs page and in a job's history (default 50, at most 1000).</summary>
    public int PageSize { get; set; } = 50;

    internal void Validate()
    {
        if (ActionsPolicy is { } policy && string.IsNullOrWhiteSpace(policy)) throw new InvalidOperationException("DistCronDashboardOptions.ActionsPolicy must name a policy, or be null for a read-only dashboard.");
        if (string.IsNullOrWhiteSpace(Title)) throw new InvalidOperationException("DistCronDashboardOptions.Title must not be empty.");
        if (PollInterval < TimeSpan.FromMilliseconds(100)) throw new InvalidOperationException($"DistCronDashboardOptions.PollInterval must be at least 100 ms (got {PollInterval}).");
        if (NodeLiveWindow is { } window && window <= TimeSpan.Zero) throw new InvalidOperationException($"DistCronDashboardOptions.NodeLiveWindow must be positive (got {window}).");
        if (OverdueAfter < TimeSpan.Zero) throw new InvalidOperationException($"DistCronDashboardOptions.OverdueAfter must not be negative (got {OverdueAfter}).");
        if (PageSize is < 1 or > HistoryQuery.MaxLimit) throw new InvalidOperationException($"DistCronDashboardOptions.PageSize must be between 1 and {HistoryQuery.MaxLimit} (got {PageSize}).");
    }
}
