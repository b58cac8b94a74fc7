using System.Text.RegularExpressions;
using DistCron.Engine;
using DistCron.Scheduling;
using DistCron.Storage;
using Microsoft.Extensions.Options;

namespace DistCron.Hosting;

/// <summary>
/// Validates <see cref="DistCronOptions"/> and every job definition when the host starts, reporting all problems at
/// once, each naming the setting or job and saying how to fix it.
/// </summary>
internal sealed partial class DistCronOptionsValidator : IValidateOptions<DistCronOptions>
{
    public ValidateOptionsResult Validate(string? name, DistCronOptions options)
    {
        var errors = new List<string>();
        Positive(errors, nameof(options.PollInterval), options.PollInterval);
        Positive(errors, nameof(options.LeaseDuration), options.LeaseDuration);
        Positive(errors, nameof(options.HeartbeatInterval), options.HeartbeatInterval);
        Positive(errors, nameof(options.ShutdownTimeout), options.ShutdownTimeout);
        Positive(errors, nameof(options.MisfireThreshold), options.MisfireThreshold);
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

        ValidateJobs(errors, options);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void ValidateJobs(List<string> errors, DistCronOptions options)
    {
        IReadOnlyList<JobDefinition> jobs;
        try
        {
            jobs = options.ResolveJobs();
        }
        catch (Exception ex)
        {
            errors.Add($"DistCron could not collect the generated job registrations: {ex.GetType().Name}: {ex.Message}");
            return;
        }

        foreach (var group in jobs.Where(j => j is not null).GroupBy(j => j.Name, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            var declarations = string.Join(", ", group.Select(j => $"{j.DeclaringType}.{j.MethodName}"));
            errors.Add($"DistCron job name '{group.Key}' is used by {group.Count()} methods ({declarations}); job names must be unique across all assemblies: set Name on one of the [DistributedCron] attributes.");
        }

        foreach (var job in jobs)
        {
            if (job is null)
            {
                errors.Add("DistCron job list contains a null definition.");
                continue;
            }

            var label = $"DistCron job '{ScheduleResolver.Printable(job.Name)}' ({job.DeclaringType}.{job.MethodName})";
            if (string.IsNullOrEmpty(job.Name) || job.Name.Length > 200 || !JobNamePattern().IsMatch(job.Name))
            {
                errors.Add($"{label}: the name must be 1-200 characters from A-Z, a-z, 0-9 and '.', '_', ':', '-'.");
            }

            // Hand-written definitions can bypass nullability; the generator always fills these.
            if (string.IsNullOrWhiteSpace(job.TimeZone)) errors.Add($"{label}: TimeZone is empty; use \"UTC\" or an IANA/Windows id.");
            if (string.IsNullOrWhiteSpace(job.DefinitionHash)) errors.Add($"{label}: DefinitionHash is empty; it must change whenever the definition changes.");
            var resolved = ScheduleResolver.Resolve(job.Schedule, job.TimeZone, job.Name ?? string.Empty);
            if (!resolved.Success) errors.Add($"{label}: {resolved.Error}.");
            if (job.Timeout is { } timeout && timeout <= TimeSpan.Zero) errors.Add($"{label}: Timeout ({timeout}) must be positive, or null for none.");
            if (job.RetryDelay is { } delay && delay <= TimeSpan.Zero) errors.Add($"{label}: RetryDelay ({delay}) must be positive, or null for the default (10 s).");
            if (job.MaxRetries < 0) errors.Add($"{label}: MaxRetries ({job.MaxRetries}) must be zero or more.");
            if (!Enum.IsDefined(job.Misfire)) errors.Add($"{label}: Misfire ({(int)job.Misfire}) is not a MisfirePolicy value.");
        }
    }

    private static void Positive(List<string> errors, string setting, TimeSpan value)
    {
        if (value <= TimeSpan.Zero) errors.Add($"DistCron {setting} ({value}) must be positive.");
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

    [GeneratedRegex("^[A-Za-z0-9._:-]+$", RegexOptions.CultureInvariant)]
    private static partial Regex JobNamePattern();
}
