namespace DistCron.Scheduling;

/// <summary>The smaller or larger of two times: <see cref="Math.Min(int, int)"/> has no overload for them.</summary>
internal static class TimeMath
{
    public static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    public static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    public static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a >= b ? a : b;
}
