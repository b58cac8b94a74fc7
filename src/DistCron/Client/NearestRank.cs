namespace DistCron;

/// <summary>
/// Percentiles by the nearest-rank method: the p-th percentile of n values is the value at 1-based rank ⌈p × n / 100⌉ of
/// the values sorted ascending. It is always one of the values (never an interpolation between two), so "p95 = 2.1s"
/// means a run really took 2.1 s and at least 95 % of the runs took no longer.
/// </summary>
internal static class NearestRank
{
    /// <summary>
    /// The <paramref name="percent"/>-th percentile (1–100) of <paramref name="values"/>, or null when there are none.
    /// The order of <paramref name="values"/> does not matter; it is not changed.
    /// </summary>
    public static TimeSpan? Percentile(IReadOnlyCollection<TimeSpan> values, int percent)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentOutOfRangeException.ThrowIfLessThan(percent, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(percent, 100);
        if (values.Count == 0) return null;
        var sorted = values.ToArray();
        Array.Sort(sorted);
        return sorted[Rank(sorted.Length, percent) - 1];
    }

    /// <summary>The 1-based rank ⌈percent × count / 100⌉, in whole numbers (no rounding error at exact multiples).</summary>
    internal static int Rank(int count, int percent) => (int)((((long)percent * count) + 99) / 100);
}
