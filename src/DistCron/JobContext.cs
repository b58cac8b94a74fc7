namespace DistCron;

/// <summary>Describes the run in progress; a job method receives it by declaring a parameter of this type.</summary>
public sealed class JobContext
{
    /// <summary>Creates a context; the runtime does this for every run.</summary>
    public JobContext(string jobName, DateTimeOffset scheduledFor, string nodeId, int attempt, long fencingToken, bool isManualTrigger = false)
    {
        JobName = jobName;
        ScheduledFor = scheduledFor;
        NodeId = nodeId;
        Attempt = attempt;
        FencingToken = fencingToken;
        IsManualTrigger = isManualTrigger;
    }

    /// <summary>
    /// The job's unique name. A method with several <c>[DistributedCron]</c> attributes is several jobs: this is the
    /// <c>Name</c> of the attribute whose job is running, which tells the method which schedule this run belongs to.
    /// </summary>
    public string JobName { get; }

    /// <summary>The scheduled occurrence this run belongs to (UTC offset), not the time it started.</summary>
    public DateTimeOffset ScheduledFor { get; }

    /// <summary>The id of the node (process) running the job.</summary>
    public string NodeId { get; }

    /// <summary>1 for the first attempt at this occurrence, 2 for the first retry, and so on.</summary>
    public int Attempt { get; }

    /// <summary>
    /// The fencing token of this claim: it grows with every claim of the job. Pass it to external systems that can
    /// reject writes carrying a token lower than one they have already seen.
    /// </summary>
    public long FencingToken { get; }

    /// <summary>True when the run was requested by "trigger now" rather than by the schedule.</summary>
    public bool IsManualTrigger { get; }
}
