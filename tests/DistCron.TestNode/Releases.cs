namespace DistCron.TestNode;

/// <summary>
/// What each release of the test node declares for its every-second jobs (the chaos tool's rolling deploys). Compiled
/// into the node and the fleet harness, so the audit checks each run against the schedule the node really had.
/// </summary>
/// <remarks>
/// After the first release, the schedules of two consecutive releases share no second: even releases run on even
/// seconds, odd ones on odd seconds. A run by the old schedule after a switch settled is therefore always visible as a
/// run at a second the current schedule does not have, whichever direction the deploy went.
/// </remarks>
public static class Releases
{
    /// <summary>Release 1 (and every node not in a rolling deploy): every second.</summary>
    public const string FirstSchedule = "* * * * * *";

    public static string ScheduleOf(int release) => release switch
    {
        <= 1 => FirstSchedule,
        _ when release % 2 == 0 => "*/2 * * * * *",
        _ => "1/2 * * * * *",
    };

    /// <summary>Seconds between two occurrences of the release's schedule.</summary>
    public static int PeriodSecondsOf(int release) => release <= 1 ? 1 : 2;

    /// <summary>The unix second, modulo the period, of every occurrence.</summary>
    public static int OffsetSecondsOf(int release) => release <= 1 || release % 2 == 0 ? 0 : 1;
}
