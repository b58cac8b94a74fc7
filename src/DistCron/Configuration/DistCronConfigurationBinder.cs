using System.Globalization;
using DistCron.Internal;
using Microsoft.Extensions.Configuration;

namespace DistCron.Configuration;

/// <summary>
/// Reads the <c>DistCron</c> configuration section into <see cref="DistCronOptions"/>, key by key. By hand rather than
/// with ConfigurationBinder: it stays trim- and AOT-safe without a second source generator, and it is strict: a key
/// DistCron does not know (a typo such as <c>Schedul</c>) or a value it cannot read is a start-up error naming the key
/// and the close names, where a binder would skip it in silence and the job would run on its attribute's schedule.
/// </summary>
internal static class DistCronConfigurationBinder
{
    /// <summary>The section <c>AddDistCron()</c> reads from the app's configuration.</summary>
    public const string SectionName = "DistCron";

    private static readonly string[] OptionKeys =
    [
        nameof(DistCronOptions.App), nameof(DistCronOptions.Schema), nameof(DistCronOptions.NodeId),
        nameof(DistCronOptions.PollInterval), nameof(DistCronOptions.LeaseDuration), nameof(DistCronOptions.HeartbeatInterval),
        nameof(DistCronOptions.ShutdownTimeout), nameof(DistCronOptions.MaxConcurrentJobs), nameof(DistCronOptions.MisfireThreshold),
        nameof(DistCronOptions.AutoMigrate), nameof(DistCronOptions.DeploymentVersion), nameof(DistCronOptions.HistoryRetention),
        nameof(DistCronOptions.Jobs),
    ];

    private static readonly string[] RetentionKeys =
    [
        nameof(HistoryRetention.Enabled), nameof(HistoryRetention.MaxAge), nameof(HistoryRetention.MaxRunsPerJob),
        nameof(HistoryRetention.Interval), nameof(HistoryRetention.BatchSize),
    ];

    internal static readonly string[] JobKeys =
    [
        nameof(JobOverride.Schedule), nameof(JobOverride.TimeZone), nameof(JobOverride.Enabled), nameof(JobOverride.Timeout),
        nameof(JobOverride.RetryDelay), nameof(JobOverride.MaxRetries), nameof(JobOverride.Misfire),
    ];

    /// <summary>Applies every key of <paramref name="section"/>; problems go to <see cref="DistCronOptions.ConfigurationErrors"/>.</summary>
    public static void Bind(DistCronOptions options, IConfiguration section)
    {
        var reader = new Reader(options.ConfigurationErrors);
        foreach (var child in section.GetChildren())
        {
            switch (Known(child, OptionKeys, reader))
            {
                case nameof(DistCronOptions.App): reader.Text(child, v => options.App = v); break;
                case nameof(DistCronOptions.Schema): reader.Text(child, v => options.Schema = v); break;
                case nameof(DistCronOptions.NodeId): reader.Text(child, v => options.NodeId = v); break;
                case nameof(DistCronOptions.PollInterval): reader.Duration(child, v => options.PollInterval = v); break;
                case nameof(DistCronOptions.LeaseDuration): reader.Duration(child, v => options.LeaseDuration = v); break;
                case nameof(DistCronOptions.HeartbeatInterval): reader.Duration(child, v => options.HeartbeatInterval = v); break;
                case nameof(DistCronOptions.ShutdownTimeout): reader.Duration(child, v => options.ShutdownTimeout = v); break;
                case nameof(DistCronOptions.MaxConcurrentJobs): reader.Int(child, v => options.MaxConcurrentJobs = v); break;
                case nameof(DistCronOptions.MisfireThreshold): reader.Duration(child, v => options.MisfireThreshold = v); break;
                case nameof(DistCronOptions.AutoMigrate): reader.Bool(child, v => options.AutoMigrate = v); break;
                case nameof(DistCronOptions.DeploymentVersion): reader.NullableLong(child, v => options.DeploymentVersion = v); break;
                case nameof(DistCronOptions.HistoryRetention): BindRetention(options.HistoryRetention, child, reader); break;
                case nameof(DistCronOptions.Jobs): BindJobs(options, child, reader); break;
            }
        }
    }

    private static void BindRetention(HistoryRetention retention, IConfigurationSection section, Reader reader)
    {
        foreach (var child in section.GetChildren())
        {
            switch (Known(child, RetentionKeys, reader))
            {
                case nameof(HistoryRetention.Enabled): reader.Bool(child, v => retention.Enabled = v); break;
                case nameof(HistoryRetention.MaxAge): reader.NullableDuration(child, v => retention.MaxAge = v); break;
                case nameof(HistoryRetention.MaxRunsPerJob): reader.NullableInt(child, v => retention.MaxRunsPerJob = v); break;
                case nameof(HistoryRetention.Interval): reader.Duration(child, v => retention.Interval = v); break;
                case nameof(HistoryRetention.BatchSize): reader.Int(child, v => retention.BatchSize = v); break;
            }
        }
    }

    private static void BindJobs(DistCronOptions options, IConfigurationSection section, Reader reader)
    {
        foreach (var job in section.GetChildren())
        {
            if (job.Value is { Length: > 0 } && !job.GetChildren().Any())
            {
                reader.Error(job, $"expected a section of {string.Join(", ", JobKeys)}, found the value \"{job.Value}\"");
                continue;
            }

            var entry = options.Jobs.TryGetValue(job.Key, out var existing) ? existing : options.Jobs[job.Key] = new JobOverride();
            entry.ConfigurationPath = job.Path;
            foreach (var child in job.GetChildren())
            {
                switch (Known(child, JobKeys, reader))
                {
                    case nameof(JobOverride.Schedule): reader.Text(child, v => entry.Schedule = v); break;
                    case nameof(JobOverride.TimeZone): reader.Text(child, v => entry.TimeZone = v); break;
                    case nameof(JobOverride.Enabled): reader.Bool(child, v => entry.Enabled = v); break;
                    case nameof(JobOverride.Timeout): reader.Duration(child, v => entry.Timeout = v); break;
                    case nameof(JobOverride.RetryDelay): reader.Duration(child, v => entry.RetryDelay = v); break;
                    case nameof(JobOverride.MaxRetries): reader.Int(child, v => entry.MaxRetries = v); break;
                    case nameof(JobOverride.Misfire): reader.Misfire(child, v => entry.Misfire = v); break;
                }
            }
        }
    }

    // The key's canonical spelling when DistCron knows it (configuration keys are case-insensitive), else an error that
    // names the key and the close names.
    private static string? Known(IConfigurationSection child, string[] keys, Reader reader)
    {
        foreach (var key in keys)
        {
            if (string.Equals(key, child.Key, StringComparison.OrdinalIgnoreCase)) return key;
        }

        var close = CloseNames.Find(child.Key, keys, ignoreCase: true);
        reader.Error(child, close.Count > 0
            ? $"is not a DistCron setting; did you mean {string.Join(" or ", close)}?"
            : $"is not a DistCron setting; the settings here are {string.Join(", ", keys)}");
        return null;
    }

    private sealed class Reader(List<string> errors)
    {
        public void Error(IConfigurationSection section, string problem) =>
            errors.Add($"{section.Path}: {problem}{(problem.EndsWith('?') ? string.Empty : ".")}");

        private bool Value(IConfigurationSection section, out string value)
        {
            value = section.Value ?? string.Empty;
            if (section.Value is null && section.GetChildren().Any())
            {
                Error(section, "expected a value, found a section");
                return false;
            }

            return true;
        }

        public void Text(IConfigurationSection section, Action<string> set)
        {
            if (Value(section, out var value)) set(value);
        }

        public void Duration(IConfigurationSection section, Action<TimeSpan> set)
        {
            if (!Value(section, out var value)) return;
            if (JobOptionText.TryParseDuration(value, out var duration, out var error)) set(duration);
            else Error(section, error!);
        }

        public void NullableDuration(IConfigurationSection section, Action<TimeSpan?> set)
        {
            if (!Value(section, out var value)) return;
            if (value.Length == 0) set(null);
            else Duration(section, d => set(d));
        }

        public void Int(IConfigurationSection section, Action<int> set)
        {
            if (!Value(section, out var value)) return;
            if (int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number)) set(number);
            else Error(section, $"'{value}' is not a whole number");
        }

        public void NullableInt(IConfigurationSection section, Action<int?> set)
        {
            if (!Value(section, out var value)) return;
            if (value.Length == 0) set(null);
            else Int(section, n => set(n));
        }

        public void NullableLong(IConfigurationSection section, Action<long?> set)
        {
            if (!Value(section, out var value)) return;
            if (value.Length == 0) set(null);
            else if (long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number)) set(number);
            else Error(section, $"'{value}' is not a whole number");
        }

        public void Bool(IConfigurationSection section, Action<bool> set)
        {
            if (!Value(section, out var value)) return;
            if (bool.TryParse(value, out var flag)) set(flag);
            else Error(section, $"'{value}' is not true or false");
        }

        // By name only: Enum.TryParse would also take "7" and store an undefined policy.
        public void Misfire(IConfigurationSection section, Action<MisfirePolicy> set)
        {
            if (!Value(section, out var value)) return;
            foreach (var policy in Enum.GetValues<MisfirePolicy>())
            {
                if (string.Equals(policy.ToString(), value.Trim(), StringComparison.OrdinalIgnoreCase))
                {
                    set(policy);
                    return;
                }
            }

            Error(section, $"'{value}' is not a misfire policy; use {string.Join(", ", Enum.GetNames<MisfirePolicy>())}");
        }
    }
}
