using System.Collections.Concurrent;
using DistCron.Internal;

namespace DistCron.Scheduling;

/// <summary>Resolves IANA (<c>Europe/Paris</c>) and Windows (<c>Romance Standard Time</c>) time zone ids on any OS.</summary>
internal static class TimeZoneResolver
{
    private static readonly ConcurrentDictionary<string, TimeZoneInfo?> Cache = new(StringComparer.Ordinal);

    /// <summary>
    /// Null is UTC; an empty id, or one with a control or invisible character, is refused; otherwise the id is read by the rule the analyzer uses
    /// (<see cref="TimeZoneIds.Normalize"/>: trimmed, "UTC" in any case), so build time and start-up agree.
    /// </summary>
    public static bool TryResolve(string? id, out TimeZoneInfo zone)
    {
        zone = TimeZoneInfo.Utc;
        if (id is null) return true;
        if (TimeZoneIds.MalformedReason(id) is not null) return false;
        var normalized = TimeZoneIds.Normalize(id);
        if (normalized == TimeZoneIds.Utc) return true;

        var found = Cache.GetOrAdd(normalized, Find);
        zone = found ?? TimeZoneInfo.Utc;
        return found is not null;
    }

    private static TimeZoneInfo? Find(string id)
    {
        if (TryFind(id) is { } direct) return direct;

        // .NET converts between the id families itself when ICU is present; this covers hosts where it is not
        // (e.g. a Windows id on Linux with invariant globalization disabled only partially).
        if (TimeZoneInfo.TryConvertIanaIdToWindowsId(id, out var windowsId) && TryFind(windowsId) is { } fromIana) return fromIana;
        if (TimeZoneInfo.TryConvertWindowsIdToIanaId(id, out var ianaId) && TryFind(ianaId) is { } fromWindows) return fromWindows;
        return null;
    }

    private static TimeZoneInfo? TryFind(string id)
    {
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(id);
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException or ArgumentException)
        {
            return null;
        }
    }
}
