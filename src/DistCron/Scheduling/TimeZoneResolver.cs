using System.Collections.Concurrent;

namespace DistCron.Scheduling;

/// <summary>Resolves IANA (<c>Europe/Paris</c>) and Windows (<c>Romance Standard Time</c>) time zone ids on any OS.</summary>
internal static class TimeZoneResolver
{
    private static readonly ConcurrentDictionary<string, TimeZoneInfo?> Cache = new(StringComparer.Ordinal);

    /// <summary>Null, empty or "UTC" (any case) is UTC.</summary>
    public static bool TryResolve(string? id, out TimeZoneInfo zone)
    {
        if (string.IsNullOrWhiteSpace(id) || string.Equals(id.Trim(), "UTC", StringComparison.OrdinalIgnoreCase))
        {
            zone = TimeZoneInfo.Utc;
            return true;
        }

        var found = Cache.GetOrAdd(id.Trim(), Find);
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
