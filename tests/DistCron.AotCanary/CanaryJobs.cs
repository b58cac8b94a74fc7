using DistCron;

namespace DistCron.AotCanary;

/// <summary>The canary's one generated job: every second, it reports its run to <see cref="Runs"/>.</summary>
public static class CanaryJobs
{
    /// <summary>Completed by the first run of either job (generated or hand-written).</summary>
    public static TaskCompletionSource<JobContext> Runs { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    [DistributedCron("* * * * * *", Name = "canary.generated")]
    public static Task TickAsync(JobContext context, CancellationToken cancellationToken)
    {
        Runs.TrySetResult(context);
        return Task.CompletedTask;
    }

    /// <summary>
    /// A definition written by hand and given to <c>AddJobs</c>: the path that bypasses the generated registry (a
    /// hash of the generated class name would tie this file to the generator's naming).
    /// </summary>
    public static JobDefinition HandWritten() => new(
        "canary.explicit", "* * * * * *", CronFormat.IncludeSeconds, "UTC", MisfirePolicy.RunOnce, null, null, 0,
        "hand-written-1", typeof(CanaryJobs).FullName!, nameof(HandWritten),
        static (_, context, _) =>
        {
            Runs.TrySetResult(context);
            return ValueTask.CompletedTask;
        });
}
