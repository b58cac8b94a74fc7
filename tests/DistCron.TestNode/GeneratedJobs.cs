namespace DistCron.TestNode;

/// <summary>
/// Two jobs declared the way applications declare them, so the source generator's registration (static and
/// instance methods, DI-injected parameters, a macro schedule) runs under the same kills and audits as the rest.
/// </summary>
public sealed class GeneratedJobs(RunBody body)
{
    public const string StaticJobName = "generated-static";
    public const string InstanceJobName = "generated-instance";

    /// <summary>A static method taking a service and the context from DI.</summary>
    [DistributedCron("* * * * * *", Name = StaticJobName)]
    public static Task EverySecondStatic(JobContext context, RunBody runBody, CancellationToken cancellationToken) =>
        runBody.RunAsync(context, cancellationToken).AsTask();

    /// <summary>An instance method (the instance comes from the run's DI scope) with a macro schedule.</summary>
    [DistributedCron("@every_second", Name = InstanceJobName)]
    public ValueTask EverySecondInstance(JobContext context, CancellationToken cancellationToken) =>
        body.RunAsync(context, cancellationToken);
}
