namespace DistCron;

/// <summary>What a job does with occurrences that passed while no node could run them.</summary>
public enum MisfirePolicy
{
    /// <summary>Run one catch-up for all missed occurrences, then resume the schedule.</summary>
    RunOnce = 0,

    /// <summary>Skip the missed occurrences and wait for the next future one.</summary>
    Skip = 1,
}
