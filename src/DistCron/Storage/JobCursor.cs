using System.Globalization;

namespace DistCron.Storage;

/// <summary>
/// The keyset cursor of a page of jobs: the sort it belongs to, the sort key of the page's last row and its name, as
/// <c>{sort}:{key}:{name}</c>. Times are Unix microseconds (PostgreSQL's precision; SQLite's milliseconds convert
/// exactly), durations milliseconds (both stores' unit), an empty key is a null. The name is last, so any name fits.
/// </summary>
internal static class JobCursor
{
    public static string Encode(JobSort sort, JobRow last) =>
        string.Create(CultureInfo.InvariantCulture, $"{Code(sort)}:{Key(sort, last)}:{last.Name}");

    /// <summary>The sort key (null: the row has none, it sorts last) and name; a clear error for a cursor that is not one of ours or of another sort.</summary>
    public static (long? Key, string Name) Decode(string cursor, JobSort sort)
    {
        var parts = cursor.Split(':', 3);
        if (parts.Length != 3 || parts[0] != Code(sort) || parts[2].Length == 0
            || (parts[1].Length > 0 && (sort == JobSort.Name || !long.TryParse(parts[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))))
        {
            throw new ArgumentException($"'{cursor}' is not a cursor of a jobs page sorted by {sort}: pass the Next of the previous page, with the same sort.", "After");
        }

        return (parts[1].Length == 0 ? null : long.Parse(parts[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture), parts[2]);
    }

    public static long? Key(JobSort sort, JobRow row) => sort switch
    {
        JobSort.NextDue => Micros(row.NextDueAt),
        JobSort.LastFinished => Micros(row.LastFinishedAt),
        JobSort.LastDuration => row.LastDuration is { } d ? (long)d.TotalMilliseconds : null,
        _ => null,
    };

    public static DateTimeOffset FromMicros(long micros) => DateTimeOffset.UnixEpoch.AddTicks(micros * 10);

    private static long? Micros(DateTimeOffset? time) => time is { } t ? (t.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10 : null;

    private static string Code(JobSort sort) => sort switch
    {
        JobSort.NextDue => "next",
        JobSort.LastFinished => "last",
        JobSort.LastDuration => "duration",
        _ => "name",
    };
}
