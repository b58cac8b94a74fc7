using System.Globalization;

namespace DistCron.Scheduling;

/// <summary>
/// The runtime's check of the claimed row's own values, before anything is computed from them. The rows are written by
/// DistCron, but anyone with access to the database may edit them; a value no DistCron node writes
/// (<c>-infinity</c>, year 0001, a negative attempt) is reported as a corrupt row and the job is marked errored, instead of
/// an exception from date arithmetic after the job method already ran (which left the lease held: the method ran again
/// every lease).
/// </summary>
internal static class RowCheck
{
    /// <summary>Earliest plausible occurrence or due time: no schedule of a running fleet lies before this.</summary>
    public static readonly DateTimeOffset Earliest = new(1970, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// First implausible time. Cronos finds no occurrence past year 2499; this leaves room for every addition the engine
    /// makes (retry delays, leases) without reaching <see cref="DateTimeOffset.MaxValue"/>.
    /// </summary>
    public static readonly DateTimeOffset Latest = new(9000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Why a claimed row's values cannot be run, or null when they can.</summary>
    public static string? Problem(DateTimeOffset occurrenceAt, DateTimeOffset dueAt, int attempt, long fence = 0)
    {
        // No claim can raise a fence past the largest bigint (the claim caps it there instead of overflowing, which
        // failed the claim statement of every job of the app): the fencing of this row's writes is gone.
        if (fence == long.MaxValue)
        {
            return $"corrupt row: fence is {fence.ToString(CultureInfo.InvariantCulture)}, expected a claim counter below the largest bigint; set it to 0 while no node runs the job; a node that starts with the job's code then clears the error";
        }


        if (Implausible(occurrenceAt)) return Corrupt($"occurrence_at is {Show(occurrenceAt)}", "a time between " + Show(Earliest) + " and " + Show(Latest));
        if (Implausible(dueAt)) return Corrupt($"next_due_at is {Show(dueAt)}", "a time between " + Show(Earliest) + " and " + Show(Latest));

        // attempt + 1 is written by a failed run's retry: int.MaxValue would overflow into a negative attempt.
        if (attempt < 1 || attempt == int.MaxValue) return Corrupt($"attempt is {attempt.ToString(CultureInfo.InvariantCulture)}", "a count from 1");
        return null;
    }

    private static bool Implausible(DateTimeOffset at) => at < Earliest || at >= Latest;

    private static string Corrupt(string what, string expected) =>
        $"corrupt row: {what}, expected {expected}; a node that starts with the job's code writes the row again";

    private static string Show(DateTimeOffset at) =>
        at == DateTimeOffset.MinValue ? "-infinity (0001-01-01)"
        : at == DateTimeOffset.MaxValue ? "infinity (9999-12-31)"
        : at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
