using DistCron.Hosting;
using DistCron.Internal;

namespace DistCron.Configuration;

/// <summary>
/// Applies a deployment's <see cref="JobOverride"/>s to the declared definitions. Every value is checked with the
/// analyzer's rules and words, each error naming the configuration key it came from; an override for a job no code
/// declares is an error that names the close job names (a typo must not leave the real job on its old schedule).
/// </summary>
internal static class JobOverrides
{
    /// <summary>
    /// The definitions with their overrides applied. Problems go to <paramref name="errors"/>; a job whose override has
    /// one keeps its declared definition (start-up fails anyway).
    /// </summary>
    public static IReadOnlyList<JobDefinition> Apply(IReadOnlyList<JobDefinition> jobs, IReadOnlyDictionary<string, JobOverride> overrides, List<string> errors)
    {
        if (overrides.Count == 0) return jobs;
        var declared = jobs.Where(j => j?.Name is not null).Select(j => j.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var (name, entry) in overrides.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (declared.Contains(name)) continue;
            var close = CloseNames.Find(name, declared, ignoreCase: true);
            var where = entry.ConfigurationPath ?? $"DistCronOptions.Jobs[\"{PrintableText.Printable(name)}\"]";
            errors.Add(close.Count > 0
                ? $"{where}: no job named \"{PrintableText.Printable(name)}\" is declared; did you mean {string.Join(" or ", close.Select(c => $"\"{c}\""))}?"
                : $"{where}: no job named \"{PrintableText.Printable(name)}\" is declared; the jobs are {Listed(declared)}.");
        }

        var result = new List<JobDefinition>(jobs.Count);
        foreach (var job in jobs)
        {
            result.Add(job?.Name is not null && job.BuildError is null && overrides.TryGetValue(job.Name, out var entry) && !entry.IsEmpty
                ? Applied(job, entry, errors) ?? job
                : job!);
        }

        return result;
    }

    private static string Listed(IReadOnlyCollection<string> names) =>
        names.Count == 0 ? "none" : string.Join(", ", names.OrderBy(n => n, StringComparer.Ordinal).Take(20).Select(n => $"\"{n}\""))
            + (names.Count > 20 ? $" and {names.Count - 20} more" : string.Empty);

    // Null when an overridden value is invalid (reported).
    private static JobDefinition? Applied(JobDefinition job, JobOverride entry, List<string> errors)
    {
        var before = errors.Count;
        var keys = new List<string>();
        string Key(string setting)
        {
            var key = entry.Key(job.Name, setting);
            keys.Add(key);
            return key;
        }

        void Check(string setting, string? problem)
        {
            var key = Key(setting);
            if (problem is not null) errors.Add($"{key}: {problem}.");
        }

        var schedule = job.Schedule;
        var format = job.Format;
        if (entry.Schedule is { } overriddenSchedule)
        {
            var parsed = ScheduleText.Parse(overriddenSchedule, job.Name);
            Check(nameof(JobOverride.Schedule), JobRuleErrors.Schedule(overriddenSchedule, parsed));
            schedule = overriddenSchedule;
            format = parsed.IncludeSeconds ? CronFormat.IncludeSeconds : CronFormat.Standard;
        }

        if (entry.TimeZone is { } zone) Check(nameof(JobOverride.TimeZone), JobRuleErrors.TimeZone(zone));
        if (entry.Timeout is { } timeout) Check(nameof(JobOverride.Timeout), JobRuleErrors.Timeout(timeout));
        if (entry.RetryDelay is { } delay) Check(nameof(JobOverride.RetryDelay), JobRuleErrors.RetryDelay(delay));
        if (entry.MaxRetries is { } retries) Check(nameof(JobOverride.MaxRetries), JobRuleErrors.MaxRetries(retries));
        if (entry.Misfire is { } misfire) Check(nameof(JobOverride.Misfire), JobRuleErrors.Misfire(misfire));
        if (entry.Enabled is not null) Key(nameof(JobOverride.Enabled));
        if (errors.Count > before) return null;

        return job.WithOverrides(schedule, format, entry.TimeZone ?? job.TimeZone, entry.Misfire ?? job.Misfire,
            entry.Timeout ?? job.Timeout, entry.RetryDelay ?? job.RetryDelay, entry.MaxRetries ?? job.MaxRetries,
            disabled: entry.Enabled == false, keys);
    }
}
