using System.Globalization;
using DistCron.Internal;

namespace DistCron.TestNode;

/// <summary>
/// The N every-second jobs, as definitions because N is a command-line value (Program registers them with
/// <c>AddJob</c>). They are exactly what the generator would emit for
/// <c>[DistributedCron("* * * * * *", Name = "every-second-007")]</c>, hash included.
/// </summary>
/// <remarks>
/// Rolling deploys (chaos tool): a node of a later release declares the same names with that release's schedule
/// (<see cref="Releases"/>), so two releases differ in schedule and definition hash while every node can run every job.
/// </remarks>
public static class EverySecondJobs
{
    public const string Schedule = Releases.FirstSchedule;

    public static string NameOf(int index) => string.Create(CultureInfo.InvariantCulture, $"every-second-{index:D3}");

    public static IReadOnlyList<JobDefinition> Build(int count, int release = 1) =>
        Enumerable.Range(0, count).Select(i =>
        {
            var name = NameOf(i);
            var schedule = Releases.ScheduleOf(release);
            return new JobDefinition(
                name,
                schedule,
                CronFormat.IncludeSeconds,
                "UTC",
                MisfirePolicy.RunOnce,
                timeout: null,
                retryDelay: null,
                maxRetries: 0,
                definitionHash: StableHash.DefinitionWithDurations(name, schedule, "UTC", (int)MisfirePolicy.RunOnce, null, null, 0),
                declaringType: typeof(EverySecondJobs).FullName!,
                methodName: nameof(RunBody.RunAsync),
                invoker: static (services, context, cancellationToken) =>
                    ((RunBody)services.GetService(typeof(RunBody))!).RunAsync(context, cancellationToken));
        }).ToArray();
}
