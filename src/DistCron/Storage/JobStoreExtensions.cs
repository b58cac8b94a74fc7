namespace DistCron.Storage;

/// <summary>Single-item shapes of the batch calls of <see cref="IJobStore"/>, for tools and tests.</summary>
internal static class JobStoreExtensions
{
    /// <summary>Run history of one job, newest first: the first page of <see cref="IJobStore.QueryHistoryAsync"/> (limit 1 to <see cref="HistoryQuery.MaxLimit"/>).</summary>
    public static Task<IReadOnlyList<RunRecord>> GetHistoryAsync(this IJobStore store, string app, string jobName, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentException.ThrowIfNullOrEmpty(jobName);
        return store.QueryHistoryAsync(app, jobName, new HistoryQuery(limit), cancellationToken);
    }

    /// <summary>Fenced completion of one claim: false (nothing written) when the claim was lost.</summary>
    public static async Task<bool> CompleteAsync(this IJobStore store, Completion completion, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(completion);
        return (await store.CompleteAsync([completion], cancellationToken).ConfigureAwait(false))[0];
    }

    /// <summary>Pauses a job with no reason or end, unattributed (tools and tests).</summary>
    public static Task<bool> PauseAsync(this IJobStore store, string app, string jobName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        return store.PauseAsync(app, jobName, OperatorAction.Unattributed, null, cancellationToken);
    }

    /// <summary>Triggers a job, unattributed (tools and tests).</summary>
    public static Task<bool> TriggerAsync(this IJobStore store, string app, string jobName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        return store.TriggerAsync(app, jobName, OperatorAction.Unattributed, cancellationToken);
    }

    /// <summary>Resumes a job, unattributed (tools and tests): see <see cref="IJobStore.ResumeAsync"/>.</summary>
    public static Task<ResumeOutcome> ResumeAsync(this IJobStore store, string app, string jobName, DateTimeOffset? nextDueAt, long? expectedRevision, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        return store.ResumeAsync(app, jobName, nextDueAt, expectedRevision, OperatorAction.Unattributed, cancellationToken);
    }

    /// <summary>
    /// Resumes a paused job whatever its schedule revision (see
    /// <see cref="IJobStore.ResumeAsync"/>): false when the job does
    /// not exist. A <paramref name="nextDueAt"/> computed from a schedule read earlier may belong to a definition replaced
    /// since; <see cref="DistCronClient.ResumeAsync(string, CancellationToken)"/> passes the revision it read instead.
    /// </summary>
    public static async Task<bool> ResumeAsync(this IJobStore store, string app, string jobName, DateTimeOffset? nextDueAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        return await store.ResumeAsync(app, jobName, nextDueAt, null, OperatorAction.Unattributed, cancellationToken).ConfigureAwait(false) != ResumeOutcome.NotFound;
    }

    /// <summary>Marks a claimed job errored whatever its schedule revision (see <see cref="IJobStore.MarkErroredAsync(ClaimToken, string, long?, CancellationToken)"/>).</summary>
    public static Task MarkErroredAsync(this IJobStore store, ClaimToken claim, string reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        return store.MarkErroredAsync(claim, reason, null, cancellationToken);
    }

    /// <summary>True while the claim is still ours: owner and fence match and the lease is live (database time).</summary>
    public static async Task<bool> VerifyAsync(this IJobStore store, ClaimToken claim, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        var owned = await store.VerifyAsync([claim], cancellationToken).ConfigureAwait(false);
        return owned.Count == 1;
    }
}
