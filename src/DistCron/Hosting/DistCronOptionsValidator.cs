using DistCron.Engine;
using DistCron.Internal;
using DistCron.Scheduling;
using DistCron.Storage;
using Microsoft.Extensions.Options;

namespace DistCron.Hosting;

/// <summary>
/// Validates <see cref="DistCronOptions"/> and every job definition when the host starts, reporting all problems at
/// once, each naming the setting or job and saying how to fix it.
/// </summary>
internal sealed class DistCronOptionsValidator : IValidateOptions<DistCronOptions>
{
    private static readonly TimeSpan MaxHistoryAge = TimeSpan.FromDays(36_500);

    public ValidateOptionsResult Validate(string? name, DistCronOptions options)
    {
        var errors = new List<string>();
        Duration(errors, nameof(options.PollInterval), options.PollInterval);
        Duration(errors, nameof(options.LeaseDuration), options.LeaseDuration);
        Duration(errors, nameof(options.HeartbeatInterval), options.HeartbeatInterval);
        Duration(errors, nameof(options.ShutdownTimeout), options.ShutdownTimeout);
        Duration(errors, nameof(options.MisfireThreshold), options.MisfireThreshold);
        if (options.HeartbeatInterval > TimeSpan.Zero && options.LeaseDuration > TimeSpan.Zero
            && options.HeartbeatInterval >= options.LeaseDuration / 2)
        {
            errors.Add($"DistCron HeartbeatInterval ({options.HeartbeatInterval}) must be less than half of LeaseDuration ({options.LeaseDuration}), so a lease survives one missed heartbeat.");
        }

        if (options.MaxConcurrentJobs is < 1 or > 10_000)
        {
            errors.Add($"DistCron MaxConcurrentJobs ({options.MaxConcurrentJobs}) must be between 1 and 10000.");
        }

        Catch(errors, () => SqlNames.ValidateSchema(options.Schema));
        Catch(errors, () => SqlNames.ValidateApp(options.App));
        if (options.NodeId is not null && Engine.NodeId.Validate(options.NodeId) is { } nodeIdError)
        {
            errors.Add("DistCron " + nodeIdError);
        }

        ValidateRetention(errors, options.HistoryRetention);
        errors.AddRange(options.ConfigurationErrors);
        ValidateJobs(errors, options);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void ValidateJobs(List<string> errors, DistCronOptions options)
    {
        IReadOnlyList<JobDefinition> jobs;
        try
        {
            jobs = options.ResolveJobs(errors);
        }
        catch (Exception ex)
        {
            errors.Add($"DistCron could not collect the generated job registrations: {ex.GetType().Name}: {ex.Message}");
            return;
        }

        foreach (var group in jobs.Where(j => j is not null).GroupBy(j => j.Name, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            // Grouped by declaration, as the analyzer's DCRON0011 says it: several attributes of one method are one place.
            var declarations = string.Join(", ", group.GroupBy(j => $"{j.DeclaringType}.{j.MethodName}", StringComparer.Ordinal)
                .Select(d => d.Count() > 1 ? $"{d.Key} ({d.Count()} attributes)" : d.Key));
            errors.Add($"DistCron job name '{group.Key}' is declared {group.Count()} times ({declarations}); job names must be unique across all assemblies: set Name on one of the [DistributedCron] attributes.");
        }

        foreach (var job in jobs)
        {
            if (job is null)
            {
                errors.Add("DistCron job list contains a null definition.");
                continue;
            }

            var label = $"DistCron job '{PrintableText.Printable(job.Name)}' ({job.DeclaringType}.{job.MethodName})";
            if (job.BuildError is { } buildError)
            {
                // Reported by the build unless analyzers were off or the diagnostic suppressed: never run without it.
                errors.Add($"{label} was not generated because its declaration is invalid: {buildError}. Fix the [DistributedCron] method; the build reports this unless analyzers are disabled or the diagnostic is suppressed.");
                continue;
            }

            ValidateJob(errors, job, label);
        }
    }

    private static void ValidateRetention(List<string> errors, HistoryRetention retention)
    {
        // Not a timer: an age compared in SQL. Bounded only so "now - MaxAge" stays a date every store can hold.
        if (retention.MaxAge is { } age && (age <= TimeSpan.Zero || age > MaxHistoryAge))
        {
            errors.Add($"DistCron HistoryRetention.MaxAge ({age}) must be positive and at most {MaxHistoryAge.Days} days, or null to keep runs regardless of age.");
        }

        if (retention.MaxRunsPerJob is < 1) errors.Add($"DistCron HistoryRetention.MaxRunsPerJob ({retention.MaxRunsPerJob}) must be at least 1, or null to keep any number.");
        Duration(errors, "HistoryRetention.Interval", retention.Interval);
        if (retention.BatchSize is < 1 or > 100_000) errors.Add($"DistCron HistoryRetention.BatchSize ({retention.BatchSize}) must be between 1 and 100000.");
    }

    // The rules and wording of the analyzer (DCRON0001, 0003-0006, 0012, 0014), from the same shared code: a
    // hand-written definition is held to what [DistributedCron] is held to at build time, and what the generator
    // emits always passes.
    private static void ValidateJob(List<string> errors, JobDefinition job, string label)
    {
        if (JobOptionText.NameError(job.Name) is { } nameError)
        {
            errors.Add($"{label}: job name \"{PrintableText.Printable(job.Name)}\" is invalid: {nameError}; use {RuleText.NameRule}.");
        }

        // Hand-written definitions can bypass nullability; the generator always fills these.
        if (string.IsNullOrWhiteSpace(job.DefinitionHash)) errors.Add($"{label}: DefinitionHash is empty; it must change whenever the definition changes.");

        var parsed = ScheduleText.Parse(job.Schedule, job.Name ?? string.Empty);
        if (JobRuleErrors.Schedule(job.Schedule, parsed) is { } scheduleError)
        {
            errors.Add($"{label}: {scheduleError}.");
        }
        else if (parsed.IncludeSeconds != (job.Format == CronFormat.IncludeSeconds))
        {
            errors.Add($"{label}: Format is {job.Format} but schedule \"{PrintableText.Printable(job.Schedule)}\" {(parsed.IncludeSeconds ? "has a seconds field" : "has no seconds field")}; use CronFormat.{(parsed.IncludeSeconds ? nameof(CronFormat.IncludeSeconds) : nameof(CronFormat.Standard))}.");
        }

        Add(errors, label, JobRuleErrors.TimeZone(job.TimeZone));
        Add(errors, label, JobRuleErrors.Timeout(job.Timeout));
        Add(errors, label, JobRuleErrors.RetryDelay(job.RetryDelay));
        Add(errors, label, JobRuleErrors.MaxRetries(job.MaxRetries));
        Add(errors, label, JobRuleErrors.Misfire(job.Misfire));
    }

    private static void Add(List<string> errors, string label, string? problem)
    {
        if (problem is not null) errors.Add($"{label}: {problem}.");
    }

    // Every option duration reaches a timer (some doubled or tripled by the engine), so it has the attribute's bound
    // and wording (JobOptionText): a LeaseDuration past the timer limit made every loop round throw.
    private static void Duration(List<string> errors, string setting, TimeSpan value)
    {
        if (!JobOptionText.DurationInRange(value, allowZero: false))
        {
            errors.Add($"DistCron {setting} ({value}) must be {JobOptionText.DurationRange(allowZero: false)}.");
        }
    }

    private static void Catch(List<string> errors, Action validate)
    {
        try
        {
            validate();
        }
        catch (ArgumentException ex)
        {
            // SqlNames messages already name the setting and the rule; drop the "(Parameter ...)" suffix.
            var message = ex.Message;
            var suffix = message.IndexOf(" (Parameter", StringComparison.Ordinal);
            errors.Add(suffix > 0 ? message[..suffix] : message);
        }
    }
}
