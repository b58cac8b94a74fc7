namespace DistCron.Bench;

/// <summary>
/// The first dashboard's data access, kept as the benchmark's baseline: every page and count reads every job row of
/// the app and filters, sorts and pages in memory, and one job is found in the list of all. Everything else is the real
/// client.
/// </summary>
internal sealed class InMemoryPagingClient(IDistCronClient inner) : IDistCronClient
{
    public string App => inner.App;

    public async Task<JobListPage> GetJobPageAsync(JobPageQuery query, CancellationToken cancellationToken = default)
    {
        var now = await inner.GetDatabaseTimeAsync(cancellationToken).ConfigureAwait(false);
        var all = await inner.ListJobsAsync(cancellationToken).ConfigureAwait(false);
        var matching = all
            .Where(j => string.IsNullOrEmpty(query.Search) || j.Name.Contains(query.Search, StringComparison.OrdinalIgnoreCase))
            .Where(j => query.State is not { } state || In(j, state, now, query.OverdueAfter));
        var sorted = (query.Sort switch
        {
            JobSort.NextDue => matching.OrderBy(j => j.NextDueAt ?? DateTimeOffset.MaxValue),
            JobSort.LastFinished => matching.OrderByDescending(j => j.LastFinishedAt ?? DateTimeOffset.MinValue),
            JobSort.LastDuration => matching.OrderByDescending(j => j.LastDuration ?? TimeSpan.MinValue),
            _ => matching.OrderBy(j => j.Name, StringComparer.Ordinal),
        }).ThenBy(j => j.Name, StringComparer.Ordinal).ToList();
        var start = query.After is { } after ? sorted.FindIndex(j => j.Name == after.Split(':', 3)[^1]) + 1 : 0;
        var shown = sorted.Skip(start).Take(query.Limit).ToList();
        return new JobListPage(shown, start + shown.Count < sorted.Count ? Storage.JobCursor.Encode(query.Sort, shown[^1]) : null);
    }

    public async Task<JobCounts> GetJobCountsAsync(TimeSpan? overdueAfter = null, string? search = null, CancellationToken cancellationToken = default)
    {
        var now = await inner.GetDatabaseTimeAsync(cancellationToken).ConfigureAwait(false);
        var grace = overdueAfter ?? TimeSpan.FromMinutes(1);
        var jobs = (await inner.ListJobsAsync(cancellationToken).ConfigureAwait(false))
            .Where(j => string.IsNullOrEmpty(search) || j.Name.Contains(search, StringComparison.OrdinalIgnoreCase)).ToList();
        int Count(JobState state) => jobs.Count(j => In(j, state, now, grace));
        return new JobCounts(jobs.Count, Count(JobState.Running), Count(JobState.Overdue), Count(JobState.Errored), Count(JobState.Failing),
            Count(JobState.Paused), Count(JobState.Orphaned), Count(JobState.Disabled));
    }

    private static bool In(JobRow job, JobState state, DateTimeOffset now, TimeSpan grace)
    {
        var running = job.OwnerNode is not null && job.LeaseUntil > now;
        return state switch
        {
            JobState.Running => running,
            JobState.Overdue => job.Error is null && !job.Paused && !job.Disabled && !running && job.NextDueAt is { } due && now - due > grace,
            JobState.Errored => job.Error is not null,
            JobState.Failing => job.LastStatus is RunStatus.Failed or RunStatus.TimedOut,
            JobState.Paused => job.Paused,
            JobState.Orphaned => job.Orphaned,
            _ => job.Disabled,
        };
    }

    public Task<IReadOnlyList<JobRow>> ListJobsAsync(CancellationToken cancellationToken = default) => inner.ListJobsAsync(cancellationToken);

    // The first client found one job by listing them all.
    public async Task<JobRow> GetJobAsync(string jobName, CancellationToken cancellationToken = default) =>
        (await inner.ListJobsAsync(cancellationToken).ConfigureAwait(false)).FirstOrDefault(j => j.Name == jobName)
            ?? throw new DistCronJobNotFoundException(App, jobName);


    public Task<RunActivity> GetRunActivityAsync(CancellationToken cancellationToken = default) => inner.GetRunActivityAsync(cancellationToken);

    public Task<DurationStats> GetDurationStatsAsync(string jobName, int runs = DurationStats.DefaultWindow, CancellationToken cancellationToken = default) => inner.GetDurationStatsAsync(jobName, runs, cancellationToken);

    public Task<IReadOnlyList<RunRecord>> GetHistoryAsync(string? jobName, HistoryQuery? query = null, CancellationToken cancellationToken = default) => inner.GetHistoryAsync(jobName, query, cancellationToken);
    public Task TriggerAsync(string jobName, CancellationToken cancellationToken = default) => inner.TriggerAsync(jobName, cancellationToken);
    public Task PauseAsync(string jobName, CancellationToken cancellationToken = default) => inner.PauseAsync(jobName, cancellationToken);
    public Task<DateTimeOffset?> ResumeAsync(string jobName, CancellationToken cancellationToken = default) => inner.ResumeAsync(jobName, cancellationToken);
    public Task<IReadOnlyList<NodeRow>> ListNodesAsync(CancellationToken cancellationToken = default) => inner.ListNodesAsync(cancellationToken);
    public Task TriggerAsync(string jobName, string? reason, string? actor = null, CancellationToken cancellationToken = default) => inner.TriggerAsync(jobName, reason, actor, cancellationToken);
    public Task PauseAsync(string jobName, string? reason, DateTimeOffset? until = null, string? actor = null, CancellationToken cancellationToken = default) => inner.PauseAsync(jobName, reason, until, actor, cancellationToken);
    public Task<DateTimeOffset?> ResumeAsync(string jobName, string? reason, string? actor = null, CancellationToken cancellationToken = default) => inner.ResumeAsync(jobName, reason, actor, cancellationToken);
    public Task<IReadOnlyList<AuditRecord>> ListAuditAsync(AuditQuery? query = null, CancellationToken cancellationToken = default) => inner.ListAuditAsync(query, cancellationToken);
    public Task<DateTimeOffset> GetDatabaseTimeAsync(CancellationToken cancellationToken = default) => inner.GetDatabaseTimeAsync(cancellationToken);
    public Task<IReadOnlyList<string>> ListAppsAsync(CancellationToken cancellationToken = default) => inner.ListAppsAsync(cancellationToken);
    public Task<long> RemoveJobAsync(string jobName, bool deleteHistory = false, CancellationToken cancellationToken = default) => inner.RemoveJobAsync(jobName, deleteHistory, cancellationToken);
}
