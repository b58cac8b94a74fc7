using System.Globalization;
using DistCron.Internal;

namespace DistCron.TestNode;

/// <summary>
/// The N every-second jobs, built by hand because N is a command-line value. They are exactly what the generator
/// would emit for <c>[DistributedCron("* * * * * *", Name = "every-second-007")]</c>, hash included.
/// </summary>
/// <remarks>
/// Rolling deploys (chaos tool): a node of an even release declares the same names with <see cref="EvenSecondsSchedule"/>,
/// so the two releases differ in schedule and definition hash while every node can run every job.
/// </remarks>
public static class EverySecondJobs
{
    public const string Schedule = "* * * * * *";

    /// <summary>The schedule of the same jobs in an even release: every even second.</summary>
    public const string EvenSecondsSchedule = "*/2 * * * * *";

    public static string NameOf(int index) => string.Create(CultureInfo.InvariantCulture, $"every-second-{index:D3}");

    /// <summary>The schedule release <paramref name="release"/> declares: odd releases every second, even ones every 2 s.</summary>
    public static string ScheduleOf(int release) => release % 2 == 1 ? Schedule : EvenSecondsSchedule;

    /// <summary>The seconds between two occurrences in release <paramref name="release"/>.</summary>
    public static int PeriodSecondsOf(int release) => release % 2 == 1 ? 1 : 2;

    public static IReadOnlyList<JobDefinition> Build(int count, int release = 1) =>
        Enumerable.Range(0, count).Select(i =>
        {
            var name = NameOf(i);
            var schedule = ScheduleOf(release);
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
