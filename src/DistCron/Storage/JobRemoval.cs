namespace DistCron;

/// <summary>What <see cref="Storage.IJobStore.RemoveJobAsync"/> did.</summary>
public enum JobRemovalOutcome
{
    /// <summary>The job row is gone (and its history, when asked).</summary>
    Removed = 0,

    /// <summary>The app has no job of that name: nothing changed.</summary>
    NotFound = 1,

    /// <summary>A live node registered code for the job: nothing changed (it would seed the row again anyway).</summary>
    LiveNodeHasCode = 2,

    /// <summary>A node holds a live lease on the job (a run in progress): nothing changed.</summary>
    Claimed = 3,
}

/// <summary>The result of <see cref="Storage.IJobStore.RemoveJobAsync"/>.</summary>
/// <param name="Outcome">What happened.</param>
/// <param name="Nodes">
/// For <see cref="JobRemovalOutcome.LiveNodeHasCode"/>, the live nodes that registered the job; for
/// <see cref="JobRemovalOutcome.Claimed"/>, the node holding the lease; otherwise empty.
/// </param>
/// <param name="RunsDeleted">History rows deleted with the job (0 unless asked and removed).</param>
public sealed record JobRemoval(JobRemovalOutcome Outcome, IReadOnlyList<string> Nodes, long RunsDeleted);
