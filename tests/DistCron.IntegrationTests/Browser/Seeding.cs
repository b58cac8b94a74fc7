using DistCron.Storage;

namespace DistCron.Tests.Browser;

/// <summary>Puts real runs into a real store the way a node does: trigger, claim, complete with a fenced write.</summary>
internal static class Seeding
{
    /// <summary>
    /// A manual run of <paramref name="job"/> claimed and completed by <paramref name="node"/>; every other job of the app
    /// must not be due (each seed sets them an hour ahead), so the triggered one is the only claimable job.
    /// </summary>
    public static async Task RecordRunAsync(IJobStore store, string app, string node, string job, RunStatus status, TimeSpan duration,
        string? errorType = null, string? error = null, OperatorAction? triggeredBy = null)
    {
        var ct = CancellationToken.None;
        Assert.True(await store.TriggerAsync(app, job, triggeredBy ?? OperatorAction.Unattributed, ct));
        var claim = Assert.Single((await store.ClaimDueAsync(new ClaimRequest(app, node, 1, TimeSpan.FromMinutes(1)), ct)).Claimed);
        Assert.Equal(job, claim.Token.JobName);
        var started = await store.GetDatabaseTimeAsync(ct);
        Assert.True(await store.CompleteAsync(new Completion(claim.Token, status, claim.OccurrenceAt, 1, started, duration,
            errorType, error, null, null, 1, IsManualTrigger: true), ct));
    }

    /// <summary>An hour from the database's now, in whole milliseconds (both stores keep milliseconds).</summary>
    public static async Task<DateTimeOffset> InAnHourAsync(IJobStore store) =>
        DateTimeOffset.FromUnixTimeMilliseconds((await store.GetDatabaseTimeAsync(CancellationToken.None)).AddHours(1).ToUnixTimeMilliseconds());
}
