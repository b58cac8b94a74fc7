using System.Collections.Concurrent;
using DistCron.Storage;

namespace DistCron.Tests.Engine;

/// <summary>
/// A real store with a log of the engine's calls (name and, for claims, the request), so tests can assert how the
/// engine talks to the database. Every call goes to the real store unchanged, except heartbeats once
/// <see cref="UnansweredHeartbeats"/> is set, and completions while <see cref="HeldCompletions"/> is pending.
/// </summary>
internal sealed class RecordingStore(IJobStore inner) : IJobStore
{
    public ConcurrentQueue<string> Calls { get; } = new();
    public ConcurrentQueue<ClaimRequest> Claims { get; } = new();

    public int Count(string call) => Calls.Count(c => c == call);

    private T Record<T>(string call, T result)
    {
        Calls.Enqueue(call);
        return result;
    }

    public string Kind => inner.Kind;
    public Task MigrateAsync(CancellationToken ct) => Record(nameof(MigrateAsync), inner.MigrateAsync(ct));
    public Task CheckSchemaAsync(CancellationToken ct) => Record(nameof(CheckSchemaAsync), inner.CheckSchemaAsync(ct));
    public Task<DateTimeOffset> GetDatabaseTimeAsync(CancellationToken ct) => Record(nameof(GetDatabaseTimeAsync), inner.GetDatabaseTimeAsync(ct));
    public Task SeedAsync(string app, IReadOnlyList<SeedJob> jobs, CancellationToken ct) => Record(nameof(SeedAsync), inner.SeedAsync(app, jobs, ct));
    public Task RegisterNodeAsync(NodeInfo node, TimeSpan liveWindow, CancellationToken ct) => Record(nameof(RegisterNodeAsync), inner.RegisterNodeAsync(node, liveWindow, ct));
    public Task UnregisterNodeAsync(string app, string nodeId, CancellationToken ct) => Record(nameof(UnregisterNodeAsync), inner.UnregisterNodeAsync(app, nodeId, ct));

    public ConcurrentQueue<ClaimBatch> Batches { get; } = new();

    public async Task<ClaimBatch> ClaimDueAsync(ClaimRequest request, CancellationToken ct)
    {
        Claims.Enqueue(request);
        var batch = await Record(nameof(ClaimDueAsync), inner.ClaimDueAsync(request, ct));
        Batches.Enqueue(batch);
        return batch;
    }

    public Task<IReadOnlyList<ClaimToken>> VerifyAsync(IReadOnlyList<ClaimToken> claims, CancellationToken ct) => Record(nameof(VerifyAsync), inner.VerifyAsync(claims, ct));
    /// <summary>
    /// Once set, every heartbeat returns this task instead of reaching the store, whatever its token says: a driver whose
    /// cancel request cannot reach a partitioned server answers neither the heartbeat nor its cancellation.
    /// </summary>
    public Task<bool>? UnansweredHeartbeats { get; set; }

    /// <summary>Once set, every heartbeat fails with this exception instead of reaching the store (a database outage).</summary>
    public Exception? FailingHeartbeats { get; set; }

    /// <summary>Heartbeats failed by <see cref="FailingHeartbeats"/>.</summary>
    public int FailedHeartbeats => Volatile.Read(ref _failedHeartbeats);
    private int _failedHeartbeats;

    public Task<bool> HeartbeatAsync(ClaimToken claim, TimeSpan lease, CancellationToken ct)
    {
        if (FailingHeartbeats is { } failure)
        {
            Interlocked.Increment(ref _failedHeartbeats);
            return Record(nameof(HeartbeatAsync), Task.FromException<bool>(failure));
        }

        return Record(nameof(HeartbeatAsync), UnansweredHeartbeats ?? inner.HeartbeatAsync(claim, lease, ct));
    }
    public ConcurrentQueue<int> CompletionBatches { get; } = new();

    /// <summary>When set, completions reach the real store only once this task has completed.</summary>
    public Task? HeldCompletions { get; set; }

    /// <summary>Each completion sent, with the span current when the store was called to write it.</summary>
    public ConcurrentQueue<(string Job, long Fence, System.Diagnostics.Activity? Current)> CompletionSpans { get; } = new();

    public Task<IReadOnlyList<bool>> CompleteAsync(IReadOnlyList<Completion> completions, CancellationToken ct)
    {
        CompletionBatches.Enqueue(completions.Count);
        foreach (var completion in completions) CompletionSpans.Enqueue((completion.Claim.JobName, completion.Claim.Fence, System.Diagnostics.Activity.Current));
        return Record(nameof(CompleteAsync), HeldCompletions is { } held ? CompleteAfter(held) : inner.CompleteAsync(completions, ct));

        async Task<IReadOnlyList<bool>> CompleteAfter(Task gate)
        {
            await gate.WaitAsync(ct);
            return await inner.CompleteAsync(completions, ct);
        }
    }
    public Task<bool> ReleaseAsync(ClaimToken claim, CancellationToken ct) => Record(nameof(ReleaseAsync), inner.ReleaseAsync(claim, ct));
    public Task MarkErroredAsync(ClaimToken claim, string reason, long? scheduleRevision, CancellationToken ct) => Record(nameof(MarkErroredAsync), inner.MarkErroredAsync(claim, reason, scheduleRevision, ct));
    public Task<IReadOnlyList<JobRow>> ListJobsAsync(string app, CancellationToken ct) => Record(nameof(ListJobsAsync), inner.ListJobsAsync(app, ct));
    public Task<IReadOnlyList<RunRecord>> GetHistoryAsync(string app, string jobName, int limit, CancellationToken ct) => Record(nameof(GetHistoryAsync), inner.GetHistoryAsync(app, jobName, limit, ct));
    public Task<JobRow?> GetJobAsync(string app, string jobName, CancellationToken ct) => Record(nameof(GetJobAsync), inner.GetJobAsync(app, jobName, ct));
    public Task<JobListPage> QueryJobsAsync(string app, JobPageQuery query, CancellationToken ct) => Record(nameof(QueryJobsAsync), inner.QueryJobsAsync(app, query, ct));
    public Task<JobCounts> CountJobsAsync(string app, TimeSpan overdueAfter, string? search, CancellationToken ct) => Record(nameof(CountJobsAsync), inner.CountJobsAsync(app, overdueAfter, search, ct));
    public Task<bool> PauseAsync(string app, string jobName, OperatorAction action, DateTimeOffset? until, CancellationToken ct) => Record(nameof(PauseAsync), inner.PauseAsync(app, jobName, action, until, ct));
    public Task<ResumeOutcome> ResumeAsync(string app, string jobName, DateTimeOffset? nextDueAt, long? expectedRevision, OperatorAction action, CancellationToken ct) => Record(nameof(ResumeAsync), inner.ResumeAsync(app, jobName, nextDueAt, expectedRevision, action, ct));
    public Task<bool> TriggerAsync(string app, string jobName, OperatorAction action, CancellationToken ct) => Record(nameof(TriggerAsync), inner.TriggerAsync(app, jobName, action, ct));
    public Task<IReadOnlyList<AuditRecord>> QueryAuditAsync(string app, AuditQuery query, CancellationToken ct) => Record(nameof(QueryAuditAsync), inner.QueryAuditAsync(app, query, ct));
    public Task<IReadOnlyList<string>> ListExpiredPausesAsync(string app, CancellationToken ct) => Record(nameof(ListExpiredPausesAsync), inner.ListExpiredPausesAsync(app, ct));
    public Task<IReadOnlyList<RunRecord>> QueryHistoryAsync(string app, string? jobName, HistoryQuery query, CancellationToken ct) => Record(nameof(QueryHistoryAsync), inner.QueryHistoryAsync(app, jobName, query, ct));
    public Task<RunActivity> GetRunActivityAsync(string app, TimeSpan bucketWidth, int bucketCount, CancellationToken ct) => Record(nameof(GetRunActivityAsync), inner.GetRunActivityAsync(app, bucketWidth, bucketCount, ct));
    public Task<IReadOnlyList<RecentRun>> GetRecentRunsAsync(string app, string jobName, int count, CancellationToken ct) => Record(nameof(GetRecentRunsAsync), inner.GetRecentRunsAsync(app, jobName, count, ct));
    public Task<int> PruneHistoryAsync(string app, TimeSpan? maxAge, int? keepPerJob, int batchSize, CancellationToken ct) => Record(nameof(PruneHistoryAsync), inner.PruneHistoryAsync(app, maxAge, keepPerJob, batchSize, ct));
    public Task<IReadOnlyList<NodeRow>> ListNodesAsync(string app, CancellationToken ct) => Record(nameof(ListNodesAsync), inner.ListNodesAsync(app, ct));
    public Task<JobRemoval> RemoveJobAsync(string app, string jobName, TimeSpan liveWindow, bool deleteHistory, CancellationToken ct) => Record(nameof(RemoveJobAsync), inner.RemoveJobAsync(app, jobName, liveWindow, deleteHistory, ct));
    public Task<IReadOnlyList<string>> ListAppsAsync(CancellationToken ct) => Record(nameof(ListAppsAsync), inner.ListAppsAsync(ct));
    /// <summary>Signal waits that ended by cancellation (the caller gave up on them) rather than by a signal or their timeout.</summary>
    public int CancelledSignalWaits => Volatile.Read(ref _cancelledSignalWaits);
    private int _cancelledSignalWaits;

    public Task<bool> WaitForSignalAsync(string app, TimeSpan timeout, CancellationToken ct)
    {
        var wait = Record(nameof(WaitForSignalAsync), inner.WaitForSignalAsync(app, timeout, ct));
        _ = wait.ContinueWith(t =>
        {
            if (t.IsCanceled || t.Exception?.InnerException is OperationCanceledException) Interlocked.Increment(ref _cancelledSignalWaits);
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return wait;
    }
    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
