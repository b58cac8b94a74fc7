using System.Collections.Concurrent;
using DistCron.Internal;

namespace DistCron.Scheduling;

/// <summary>Resolves IANA (<c>Europe/Paris</c>) and Windows (<c>Romance Standard Time</c>) time zone ids on any OS.</summary>
/// <remarks>
/// Ids come from job rows anyone may have edited, so nothing an id can make .NET throw escapes: an id naming a zoneinfo
/// directory (<c>Europe</c>) throws <see cref="System.Security.SecurityException"/> or
/// <see cref="UnauthorizedAccessException"/>, a very long one <see cref="System.IO.PathTooLongException"/>. Such an id
/// is simply unknown, and the job is marked errored with that reason instead of its claim hanging.
/// </remarks>
internal static class TimeZoneResolver
{
    /// <summary>Ids kept at most; a store whose rows hold ever new ids cannot grow the cache past this.</summary>
    internal const int MaxCacheEntries = 1_000;

    /// <summary>Longer ids are not cached (no real id comes close); they are still resolved, and fail.</summary>
    internal const int MaxCachedIdLength = 200;

    private static readonly ConcurrentDictionary<string, TimeZoneInfo?> Cache = new(StringComparer.Ordinal);
    private static int _entries; // ConcurrentDictionary.Count takes every lock

    internal static int CachedCount => Volatile.Read(ref _entries);

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

        var key = normalized;
        if (!Cache.TryGetValue(key, out var found))
        {
            found = Find(key);
            if (key.Length <= MaxCachedIdLength && Cache.TryAdd(key, found) && Interlocked.Increment(ref _entries) > MaxCacheEntries)
            {
                // Clearing is cheap to recover from: the ids in use are found again on their next claim.
                Cache.Clear();
                Volatile.Write(ref _entries, 0);
            }
        }

        zone = found ?? TimeZoneInfo.Utc;
        return found is not null;
    }

    private static TimeZoneInfo? Find(string id)
    {
        if (TryFind(id) is { } direct) return direct;

        // .NET converts between the id families itself when ICU is present; this covers hosts where it is not
        // (e.g. a Windows id on Linux with invariant globalization disabled only partially).
        if (TryConvert(id, toWindows: true) is { } windowsId && TryFind(windowsId) is { } fromIana) return fromIana;
        if (TryConvert(id, toWindows: false) is { } ianaId && TryFind(ianaId) is { } fromWindows) return fromWindows;
        return null;
    }

    private static string? TryConvert(string id, bool toWindows)
    {
        try
        {
            return toWindows
                ? TimeZoneInfo.TryConvertIanaIdToWindowsId(id, out var windowsId) ? windowsId : null
                : TimeZoneInfo.TryConvertWindowsIdToIanaId(id, out var ianaId) ? ianaId : null;
        }
        catch (Exception)
        {
            return null; // any failure means "no such id" (see the remarks)
        }
    }

    private static TimeZoneInfo? TryFind(string id)
    {
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(id);
        }
        catch (Exception)
        {
            // TimeZoneNotFoundException and InvalidTimeZoneException, but also SecurityException,
            // UnauthorizedAccessException and IOException for ids that are paths to something other than a zone file.
            return null;
        }
    }
}
