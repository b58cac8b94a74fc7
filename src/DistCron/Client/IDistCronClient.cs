using DistCron.Storage;

namespace DistCron;

/// <summary>
/// Operates a DistCron app from code: list jobs and nodes, read history, trigger, pause and resume jobs. Registered by
/// <c>AddDistCron</c>; without a host use <see cref="DistCronClient.ForPostgres(string, string, string)"/> or
/// <see cref="DistCronClient.ForSqlite(string, string)"/>. Every time decision uses the database clock.
/// </summary>
public interface IDistCronClient
{
    /// <summary>The application whose jobs this client sees.</summary>
    string App { get; }

    /// <summary>Every job of the app, by name: schedule, time zone, next due time, last run, paused/orphaned/errored.</summary>
    Task<IReadOnlyList<JobRow>> ListJobsAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// One page of the app's jobs: searched by name, filtered by state, sorted, keyset-paged (pass the page's
    /// <see cref="JobListPage.Next"/> as the next query's <see cref="JobPageQuery.After"/>). Reads only the rows it returns
    /// and the ones its filters look at, never the whole table into memory.
    /// </summary>
    Task<JobListPage> GetJobPageAsync(JobPageQuery query, CancellationToken cancellationToken = default);

    /// <summary>
    /// How many of the app's jobs are in each state, in one query; overdue: due more than <paramref name="overdueAfter"/>
    /// ago (default 1 minute). With <paramref name="search"/>, only the jobs <see cref="JobPageQuery.Search"/> would match.
    /// </summary>
    Task<JobCounts> GetJobCountsAsync(TimeSpan? overdueAfter = null, string? search = null, CancellationToken cancellationToken = default);

    /// <summary>One job. Throws <see cref="DistCronJobNotFoundException"/> when the app has no such job.</summary>
    Task<JobRow> GetJobAsync(string jobName, CancellationToken cancellationToken = default);

    /// <summary>
    /// Run history newest first, of one job (or every job when <paramref name="jobName"/> is null), keyset-paged: pass the
    /// last id of a page as <see cref="HistoryQuery.BeforeId"/>. Throws <see cref="DistCronJobNotFoundException"/> for an
    /// unknown job.
    /// </summary>
    Task<IReadOnlyList<RunRecord>> GetHistoryAsync(string? jobName, HistoryQuery? query = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// How many of the app's runs finished, and how many of them failed or timed out, in each minute of the last hour by
    /// the database clock (60 buckets, oldest first; skipped occurrences are not runs). Counted in the database over an
    /// index of finish times: it reads only the hour's rows.
    /// </summary>
    Task<RunActivity> GetRunActivityAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// The durations of the job's last <paramref name="runs"/> runs (1–1000, default 100; skipped occurrences are not
    /// runs), newest first, with their p50 and p95 by nearest rank. Throws <see cref="DistCronJobNotFoundException"/> for
    /// an unknown job.
    /// </summary>
    Task<DurationStats> GetDurationStatsAsync(string jobName, int runs = DurationStats.DefaultWindow, CancellationToken cancellationToken = default);

    /// <summary>
    /// Runs the job once as soon as a node with its code is free, paused or not, without changing its schedule. Repeated
    /// triggers before that run give one run. Throws <see cref="DistCronJobNotFoundException"/> for an unknown job and
    /// <see cref="InvalidOperationException"/> for an errored job (it would never run).
    /// </summary>
    Task TriggerAsync(string jobName, CancellationToken cancellationToken = default);

    /// <summary>
    /// <see cref="TriggerAsync(string, CancellationToken)"/> with an audit row naming <paramref name="actor"/> (null: the
    /// process's OS user) and <paramref name="reason"/>, written in the same transaction as the request.
    /// </summary>
    Task TriggerAsync(string jobName, string? reason, string? actor = null, CancellationToken cancellationToken = default);

    /// <summary>Stops scheduling the job (a run in progress finishes). Throws <see cref="DistCronJobNotFoundException"/> for an unknown job.</summary>
    Task PauseAsync(string jobName, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stops scheduling the job (a run in progress finishes), with <paramref name="reason"/> shown by the CLI and the
    /// dashboard and written, with <paramref name="actor"/> (null: the process's OS user), to the audit trail in the same
    /// transaction. With <paramref name="until"/> (after the database's now), the first node check after that time
    /// resumes the job by itself at its next occurrence. Pausing a paused job replaces its reason and end. Throws
    /// <see cref="DistCronJobNotFoundException"/> for an unknown job and <see cref="ArgumentException"/> for an
    /// <paramref name="until"/> that has already passed.
    /// </summary>
    Task PauseAsync(string jobName, string? reason, DateTimeOffset? until = null, string? actor = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Resumes a paused job at its next occurrence after the database's now (occurrences missed while paused are not
    /// run, not even by a run that was in progress across the pause and completes later). The due time is computed from
    /// the schedule the row holds when it is resumed: a deploy that changes the definition meanwhile makes it read the
    /// row again. Returns the job's next due time. A job that is not paused is left as is. Throws
    /// <see cref="DistCronJobNotFoundException"/> for an unknown job, and <see cref="InvalidOperationException"/> (the
    /// job stays paused) when its definition kept changing through several attempts.
    /// </summary>
    Task<DateTimeOffset?> ResumeAsync(string jobName, CancellationToken cancellationToken = default);

    /// <summary>
    /// <see cref="ResumeAsync(string, CancellationToken)"/> with an audit row naming <paramref name="actor"/> (null: the
    /// process's OS user) and <paramref name="reason"/>, written in the same transaction as the resume.
    /// </summary>
    Task<DateTimeOffset?> ResumeAsync(string jobName, string? reason, string? actor = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// The audit trail newest first (who paused, resumed or triggered which job, when by the database clock, why),
    /// keyset-paged: pass the last id of a page as <see cref="AuditQuery.BeforeId"/>.
    /// </summary>
    Task<IReadOnlyList<AuditRecord>> ListAuditAsync(AuditQuery? query = null, CancellationToken cancellationToken = default);

    /// <summary>The app's registered nodes, newest heartbeat first.</summary>
    Task<IReadOnlyList<NodeRow>> ListNodesAsync(CancellationToken cancellationToken = default);

    /// <summary>The database's current time.</summary>
    Task<DateTimeOffset> GetDatabaseTimeAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// The apps the database holds jobs or nodes for, in ordinal order. An app name that is not among them is a typo or
    /// an app whose nodes never started (the app is <c>DistCronOptions.App</c>, <c>"default"</c> unless set).
    /// </summary>
    Task<IReadOnlyList<string>> ListAppsAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Removes a job whose code is gone (a deleted or renamed job stays in the table, orphaned, forever otherwise), and
    /// with <paramref name="deleteHistory"/> its run history. Returns the number of history rows deleted. Throws
    /// <see cref="DistCronJobNotFoundException"/> for an unknown job, and <see cref="InvalidOperationException"/>
    /// (nothing changed) while a live node registered code for the job (it would seed it again) or while a run of it
    /// holds a live lease. A node counts as live while its last heartbeat is within the client's node live window
    /// (three lease durations: the window the nodes themselves use for orphan flags).
    /// </summary>
    Task<long> RemoveJobAsync(string jobName, bool deleteHistory = false, CancellationToken cancellationToken = default);
}

/// <summary>The app has no job of that name.</summary>
public sealed class DistCronJobNotFoundException : Exception
{
    /// <summary>Creates the exception for <paramref name="jobName"/> in <paramref name="app"/>.</summary>
    public DistCronJobNotFoundException(string app, string jobName)
        : base($"DistCron app '{app}' has no job named '{jobName}'. Job names are case-sensitive; list them with ListJobsAsync (CLI: 'distcron jobs').")
    {
        App = app;
        JobName = jobName;
    }

    /// <summary>The application searched.</summary>
    public string App { get; }

    /// <summary>The job name that was not found.</summary>
    public string JobName { get; }
}
