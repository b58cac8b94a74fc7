namespace DistCron;

/// <summary>
/// Retention of run history (the <c>runs</c> table). Each node prunes its app's history when its loop is idle, soon
/// after start-up and then at most once per <see cref="Interval"/>, in small batches so running jobs never wait on it.
/// Jobs are never deleted.
/// </summary>
public sealed class HistoryRetention
{
    /// <summary>Runs that finished longer ago than this (database time) are deleted. Default 30 days; null keeps them regardless of age.</summary>
    public TimeSpan? MaxAge { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Only the newest this many runs of each job are kept. Default 1000; null keeps any number.</summary>
    public int? MaxRunsPerJob { get; set; } = 1000;

    /// <summary>
    /// Shortest time between two prunes by one node. Default 10 minutes. The first prune comes sooner: at a random
    /// point of the first minute after start-up (of the first interval, when shorter).
    /// </summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Tests: where in the first-prune window this node falls, in [0, 1); null for random.</summary>
    internal double? FirstPruneJitter { get; set; }

    /// <summary>Rows deleted per statement (each its own short transaction). Default 500.</summary>
    public int BatchSize { get; set; } = 500;

    /// <summary>False disables pruning on this node (for example when a DBA job prunes instead). Default true.</summary>
    public bool Enabled { get; set; } = true;
}
