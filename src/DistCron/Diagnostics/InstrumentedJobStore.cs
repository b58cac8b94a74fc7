using System.Diagnostics;
using DistCron.Storage;

namespace DistCron.Diagnostics;

/// <summary>
/// The engine's store, timed: every call the engine makes (claim, complete, heartbeat, seed, prune, …) is measured
/// here, once for every dialect, as <c>distcron.store.operation.duration</c> and, when it throws,
/// <c>distcron.store.operation.errors</c>. The signal wait is not an operation (it waits by design) and passes through.
/// </summary>
internal sealed class InstrumentedJobStore : IJobStore
{
    private readonly IJobStore _inner;
    private readonly DistCronMetrics _metrics;
    private readonly string _dbSystem;

    public InstrumentedJobStore(IJobStore inner, DistCronMetrics metrics)
    {
        _inner = inner;
        _metrics = metrics;
        _dbSystem = TelemetryTags.DbSystemOf(inner.Kind);
    }

    public string Kind => _inner.Kind;

    // The call starts inside the measurement: a store may do its work before its first await (Microsoft.Data.Sqlite).
    private async Task<T> Measure<T>(string operation, Func<Task<T>> call)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var result = await call().ConfigureAwait(false);
            _metrics.StoreOperation(_dbSystem, operation, Stopwatch.GetElapsedTime(started), null);
            return result;
        }
        catch (Exception ex)
        {
            _metrics.StoreOperation(_dbSystem, operation, Stopwatch.GetElapsedTime(started), ex);
            throw;
        }
    }

    private Task Measure(string operation, Func<Task> call) => Measure(operation, async () =>
    {
        await call().ConfigureAwait(false);
        return true;
    });

    public Task MigrateAsync(CancellationToken cancellationToken) => Measure("migrate", () => _inner.MigrateAsync(cancellationToken));

    public Task CheckSchemaAsync(CancellationToken cancellationToken) => Measure("check_schema", () => _inner.CheckSchemaAsync(cancellationToken));

    public Task<DateTimeOffset> GetDatabaseTimeAsync(CancellationToken cancellationToken) =>
        Measure("time", () => _inner.GetDatabaseTimeAsync(cancellationToken));

    public Task SeedAsync(string app, IReadOnlyList<SeedJob> jobs, CancellationToken cancellationToken) =>
        Measure("seed", () => _inner.SeedAsync(app, jobs, cancellationToken));

    public Task RegisterNodeAsync(NodeInfo node, TimeSpan liveWindow, CancellationToken cancellationToken) =>
        Measure("register", () => _inner.RegisterNodeAsync(node, liveWindow, cancellationToken));

    public Task UnregisterNodeAsync(string app, string nodeId, CancellationToken cancellationToken) =>
        Measure("unregister", () => _inner.UnregisterNodeAsync(app, nodeId, cancellationToken));

    public Task<ClaimBatch> ClaimDueAsync(ClaimRequest request, CancellationToken cancellationToken) =>
        Measure("claim", () => _inner.ClaimDueAsync(request, cancellationToken));

    public Task<IReadOnlyList<ClaimToken>> VerifyAsync(IReadOnlyList<ClaimToken> claims, CancellationToken cancellationToken) =>
        Measure("verify", () => _inner.VerifyAsync(claims, cancellationToken));

    public Task<bool> HeartbeatAsync(ClaimToken claim, TimeSpan lease, CancellationToken cancellationToken) =>
        Measure("heartbeat", () => _inner.HeartbeatAsync(claim, lease, cancellationToken));

    public Task<IReadOnlyList<bool>> CompleteAsync(IReadOnlyList<Completion> completions, CancellationToken cancellationToken) =>
        Measure("complete", () => _inner.CompleteAsync(completions, cancellationToken));

    public Task<bool> ReleaseAsync(ClaimToken claim, CancellationToken cancellationToken) =>
        Measure("release", () => _inner.ReleaseAsync(claim, cancellationToken));

    public Task MarkErroredAsync(ClaimToken claim, string reason, long? scheduleRevision, CancellationToken cancellationToken) =>
        Measure("mark_errored", () => _inner.MarkErroredAsync(claim, reason, scheduleRevision, cancellationToken));

    public Task<IReadOnlyList<JobRow>> ListJobsAsync(string app, CancellationToken cancellationToken) =>
        Measure("list_jobs", () => _inner.ListJobsAsync(app, cancellationToken));

    public Task<JobRow?> GetJobAsync(string app, string jobName, CancellationToken cancellationToken) =>
        Measure("get_job", () => _inner.GetJobAsync(app, jobName, cancellationToken));

    public Task<JobListPage> QueryJobsAsync(string app, JobPageQuery query, CancellationToken cancellationToken) =>
        Measure("query_jobs", () => _inner.QueryJobsAsync(app, query, cancellationToken));

    public Task<JobCounts> CountJobsAsync(string app, TimeSpan overdueAfter, string? search, CancellationToken cancellationToken) =>
        Measure("count_jobs", () => _inner.CountJobsAsync(app, overdueAfter, search, cancellationToken));

    public Task<bool> PauseAsync(string app, string jobName, OperatorAction action, DateTimeOffset? until, CancellationToken cancellationToken) =>
        Measure("pause", () => _inner.PauseAsync(app, jobName, action, until, cancellationToken));

    public Task<ResumeOutcome> ResumeAsync(string app, string jobName, DateTimeOffset? nextDueAt, long? expectedRevision, OperatorAction action, CancellationToken cancellationToken) =>
        Measure("resume", () => _inner.ResumeAsync(app, jobName, nextDueAt, expectedRevision, action, cancellationToken));

    public Task<bool> TriggerAsync(string app, string jobName, OperatorAction action, CancellationToken cancellationToken) =>
        Measure("trigger", () => _inner.TriggerAsync(app, jobName, action, cancellationToken));

    public Task<IReadOnlyList<AuditRecord>> QueryAuditAsync(string app, AuditQuery query, CancellationToken cancellationToken) =>
        Measure("audit", () => _inner.QueryAuditAsync(app, query, cancellationToken));

    public Task<IReadOnlyList<string>> ListExpiredPausesAsync(string app, CancellationToken cancellationToken) =>
        Measure("expired_pauses", () => _inner.ListExpiredPausesAsync(app, cancellationToken));

    public Task<IReadOnlyList<RunRecord>> QueryHistoryAsync(string app, string? jobName, HistoryQuery query, CancellationToken cancellationToken) =>
        Measure("query_history", () => _inner.QueryHistoryAsync(app, jobName, query, cancellationToken));

    public Task<RunActivity> GetRunActivityAsync(string app, TimeSpan bucketWidth, int bucketCount, CancellationToken cancellationToken) =>
        Measure("run_activity", () => _inner.GetRunActivityAsync(app, bucketWidth, bucketCount, cancellationToken));

    public Task<IReadOnlyList<RecentRun>> GetRecentRunsAsync(string app, string jobName, int count, CancellationToken cancellationToken) =>
        Measure("recent_runs", () => _inner.GetRecentRunsAsync(app, jobName, count, cancellationToken));

    public Task<int> PruneHistoryAsync(string app, TimeSpan? maxAge, int? keepPerJob, int batchSize, CancellationToken cancellationToken) =>
        Measure("prune", () => _inner.PruneHistoryAsync(app, maxAge, keepPerJob, batchSize, cancellationToken));

    public Task<IReadOnlyList<NodeRow>> ListNodesAsync(string app, CancellationToken cancellationToken) =>
        Measure("list_nodes", () => _inner.ListNodesAsync(app, cancellationToken));

    public Task<JobRemoval> RemoveJobAsync(string app, string jobName, TimeSpan liveWindow, bool deleteHistory, CancellationToken cancellationToken) =>
        Measure("remove_job", () => _inner.RemoveJobAsync(app, jobName, liveWindow, deleteHistory, cancellationToken));

    public Task<IReadOnlyList<string>> ListAppsAsync(CancellationToken cancellationToken) =>
        Measure("list_apps", () => _inner.ListAppsAsync(cancellationToken));

    public Task<bool> WaitForSignalAsync(string app, TimeSpan timeout, CancellationToken cancellationToken) =>
        _inner.WaitForSignalAsync(app, timeout, cancellationToken);

    public ValueTask DisposeAsync() => _inner.DisposeAsync();
}
