using System.Collections.Concurrent;
using DistCron.Internal;

namespace DistCron.Scheduling;

/// <summary>The result of resolving a schedule: either a <see cref="JobSchedule"/> or a reason it is invalid.</summary>
internal readonly record struct ScheduleResolution(JobSchedule? Schedule, string? Error)
{
    public bool Success => Schedule is not null;
}

/// <summary>
/// Turns (schedule text, time zone id, job name) into a <see cref="JobSchedule"/>, with the same parser the analyzer
/// uses at build time. Results, including failures, are cached: the engine resolves the row of every claim.
/// </summary>
internal static class ScheduleResolver
{
    // Bounded so a store whose rows keep changing cannot grow the cache without limit; clearing is cheap to recover from.
    private const int MaxCacheEntries = 50_000;
    private const int MaxCachedKeyLength = 1_000;
    private static readonly ConcurrentDictionary<(string Schedule, string TimeZone, string Name), ScheduleResolution> Cache = new();
    private static int _entries; // ConcurrentDictionary.Count takes every lock: not on the claim path

    public static ScheduleResolution Resolve(string? schedule, string? timeZone, string jobName)
    {
        // The job name matters only to H fields (a hash of the name) and to macros; the key leaves it out otherwise.
        // Keyed by name, a fleet with more jobs than the cache held resolved again, counted the cache (every lock) and
        // cleared it on most claims: the claim path of a node with many jobs then spent its time resolving.
        // Null and empty zones are both refused (a row names its zone), and must share no key with a real id.
        var key = (schedule ?? string.Empty, timeZone ?? "\0null", DependsOnName(schedule) ? jobName : string.Empty);
        if (Cache.TryGetValue(key, out var cached)) return cached;
        var resolved = ResolveUncached(schedule, timeZone, jobName);
        // An entry holds its key's text: a corrupted row's 10 kB id must not be kept 50,000 times over.
        if (key.Item1.Length + key.Item2.Length <= MaxCachedKeyLength && Cache.TryAdd(key, resolved)
            && Interlocked.Increment(ref _entries) > MaxCacheEntries)
        {
            Cache.Clear();
            Volatile.Write(ref _entries, 0);
        }

        return resolved;
    }

    private static bool DependsOnName(string? schedule) =>
        schedule is not null && schedule.AsSpan().IndexOfAny('H', 'h', '@') >= 0;

    private static ScheduleResolution ResolveUncached(string? schedule, string? timeZone, string jobName)
    {
        var parsed = ScheduleText.Parse(schedule, jobName);
        if (!parsed.Success)
        {
            var reason = $"invalid schedule '{PrintableText.Printable(schedule)}': {parsed.Error}";
            if (parsed.Hint is not null) reason += $" ({parsed.Hint})";
            return new ScheduleResolution(null, reason);
        }

        // Every definition names its zone (the validator refuses an empty one, and the seed writes it): an empty id in a
        // row is damage, not a request for UTC.
        if (string.IsNullOrWhiteSpace(timeZone))
        {
            return new ScheduleResolution(null,
                "empty time zone: the job's row must name its zone, such as 'UTC' or 'Europe/Paris'; restart a node with the job's code to write it again");
        }

        if (!TimeZoneResolver.TryResolve(timeZone, out var zone))
        {
            return new ScheduleResolution(null,
                $"unknown time zone '{PrintableText.Printable(timeZone)}': use {RuleText.TimeZoneIdKinds}, or \"UTC\"");
        }

        return new ScheduleResolution(new JobSchedule(parsed.Expression!, zone, parsed.IncludeSeconds, parsed.ExpandedText), null);
    }
}
