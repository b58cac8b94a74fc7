using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using DistCron.Configuration;
using DistCron.Internal;
using Microsoft.CodeAnalysis.Text;

namespace DistCron.Generators.Configuration
{
    /// <summary>
    /// Reads the <c>DistCron:Jobs</c> entries of an appsettings file and checks each value with the runtime's rules
    /// (DistCronConfigurationBinder and JobOverrides), worded as the runtime words them, each problem placed at the
    /// value (or key) in the file. Which job names exist is checked later (<see cref="UnknownJob"/>), so that an edit to
    /// code does not re-read the file.
    /// </summary>
    internal static class AppSettingsChecker
    {
        /// <summary>The settings of one job, as DistCronConfigurationBinder.JobKeys lists them.</summary>
        internal static readonly string[] JobKeys = { "Schedule", "TimeZone", "Enabled", "Timeout", "RetryDelay", "MaxRetries", "Misfire" };

        private static readonly string[] MisfireNames = { "RunOnce", "Skip" };

        /// <summary>True for the files the package adds: appsettings.json and appsettings.{Environment}.json.</summary>
        public static bool IsAppSettings(string path)
        {
            var name = System.IO.Path.GetFileName(path);
            return name.StartsWith("appsettings", StringComparison.OrdinalIgnoreCase) && name.EndsWith(".json", StringComparison.OrdinalIgnoreCase);
        }

        public static AppSettingsFile Read(string path, SourceText? text)
        {
            var problems = new List<ConfigProblem>();
            var jobs = new List<ConfigJobReference>();
            var root = text is null ? null : JsonText.Parse(text.ToString());
            if (root != null && text != null)
            {
                foreach (var distCron in Children(root, "DistCron"))
                {
                    foreach (var section in Children(distCron.Value, "Jobs"))
                    {
                        var prefix = distCron.Name + ":" + section.Name;
                        foreach (var job in section.Value.Properties)
                        {
                            ReadJob(prefix + ":" + job.Name, job, text, problems, jobs);
                        }
                    }
                }
            }

            return new AppSettingsFile(path, new EquatableArray<ConfigProblem>(problems.ToArray()), new EquatableArray<ConfigJobReference>(jobs.ToArray()));
        }

        /// <summary>The runtime's words for a job name no code declares (JobOverrides), or null when it is declared.</summary>
        public static string? UnknownJob(string name, IReadOnlyCollection<string> declared)
        {
            if (declared.Contains(name, StringComparer.Ordinal)) return null;
            var close = CloseNames.Find(name, declared, ignoreCase: true);
            var shown = PrintableText.Printable(name);
            return close.Count > 0
                ? $"no job named \"{shown}\" is declared; did you mean {string.Join(" or ", close.Select(c => $"\"{c}\""))}?"
                : $"no job named \"{shown}\" is declared; the jobs are {Listed(declared)}";
        }

        private static string Listed(IReadOnlyCollection<string> names) =>
            names.Count == 0 ? "none" : string.Join(", ", names.OrderBy(n => n, StringComparer.Ordinal).Take(20).Select(n => $"\"{n}\""))
                + (names.Count > 20 ? $" and {names.Count - 20} more" : string.Empty);

        // Configuration keys are case-insensitive; a later duplicate overrides an earlier one key by key, so all count.
        private static IEnumerable<JsonProperty> Children(JsonNode node, string key)
        {
            foreach (var property in node.Properties)
            {
                if (string.Equals(property.Name, key, StringComparison.OrdinalIgnoreCase)) yield return property;
            }
        }

        private static void ReadJob(string jobKey, JsonProperty job, SourceText text, List<ConfigProblem> problems, List<ConfigJobReference> jobs)
        {
            var value = job.Value;
            if (!value.IsSection && value.ConfigurationValue is { Length: > 0 } scalar)
            {
                problems.Add(new ConfigProblem(DiagnosticDescriptors.InvalidConfigurationSetting.Id, jobKey,
                    $"expected a section of {string.Join(", ", JobKeys)}, found the value \"{scalar}\"", Place(text, value)));
                return;
            }

            jobs.Add(new ConfigJobReference(job.Name, jobKey, TextPlace.Of(text, job.NameStart, job.NameEnd)));
            foreach (var setting in value.Properties)
            {
                var written = jobKey + ":" + setting.Name;
                var known = JobKeys.FirstOrDefault(k => string.Equals(k, setting.Name, StringComparison.OrdinalIgnoreCase));
                if (known is null)
                {
                    var close = CloseNames.Find(setting.Name, JobKeys, ignoreCase: true);
                    problems.Add(new ConfigProblem(DiagnosticDescriptors.InvalidConfigurationSetting.Id, written, close.Count > 0
                        ? $"is not a DistCron setting; did you mean {string.Join(" or ", close)}?"
                        : $"is not a DistCron setting; the settings here are {string.Join(", ", JobKeys)}",
                        TextPlace.Of(text, setting.NameStart, setting.NameEnd)));
                    continue;
                }

                var place = Place(text, setting.Value);
                if (setting.Value.IsSection)
                {
                    problems.Add(new ConfigProblem(DiagnosticDescriptors.InvalidConfigurationSetting.Id, written, "expected a value, found a section", place));
                    continue;
                }

                var problem = Check(known, job.Name, setting.Value.ConfigurationValue ?? string.Empty);
                if (problem is { } found)
                {
                    // Errors of reading the value name the key as written (the binder), errors of the rules its canonical
                    // spelling (JobOverrides).
                    var key = found.Id == DiagnosticDescriptors.InvalidDuration.Id || found.Id == DiagnosticDescriptors.InvalidConfigurationSetting.Id
                        || found.Id == DiagnosticDescriptors.InvalidMisfirePolicy.Id
                        ? written
                        : jobKey + ":" + known;
                    problems.Add(new ConfigProblem(found.Id, key, found.Problem, place));
                }
            }
        }

        // A string's text without its quotes; any other value whole.
        private static TextPlace Place(SourceText text, JsonNode value) =>
            value.Kind == JsonKind.String && value.End - value.Start >= 2
                ? TextPlace.Of(text, value.Start + 1, value.End - 1)
                : TextPlace.Of(text, value.Start, value.End);

        /// <summary>The diagnostic ID and the runtime's words for a bad value of setting <paramref name="key"/>, or null when it is valid.</summary>
        internal static (string Id, string Problem)? Check(string key, string jobName, string value)
        {
            switch (key)
            {
                case "Schedule":
                    var parsed = ScheduleText.Parse(value, jobName);
                    return parsed.Success ? null : (DiagnosticDescriptors.InvalidCronExpression.Id,
                        $"schedule \"{PrintableText.Printable(value)}\" is not a valid cron expression: {parsed.Error}; {parsed.Hint ?? RuleText.ScheduleFix}");
                case "TimeZone":
                    return TimeZone(value);
                case "Enabled":
                    return bool.TryParse(value, out _) ? null : (DiagnosticDescriptors.InvalidConfigurationSetting.Id, $"'{value}' is not true or false");
                case "Timeout":
                case "RetryDelay":
                    var allowZero = key == "RetryDelay";
                    if (!JobOptionText.TryParseDuration(value, out var duration, out var error)) return (DiagnosticDescriptors.InvalidDuration.Id, error!);
                    if (JobOptionText.DurationInRange(duration, allowZero)) return null;
                    var fix = allowZero
                        ? "use null for the default (10 s), or a duration such as 00:00:10"
                        : "use null for no time limit, or a positive duration such as 00:05:00";
                    return (DiagnosticDescriptors.DurationOutOfRange.Id, $"{key} ({duration}) must be {JobOptionText.DurationRange(allowZero)}; {fix}");
                case "MaxRetries":
                    if (!int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var retries))
                    {
                        return (DiagnosticDescriptors.InvalidConfigurationSetting.Id, $"'{value}' is not a whole number");
                    }

                    return retries < 0 ? (DiagnosticDescriptors.NegativeMaxRetries.Id, RuleText.Format(RuleText.NegativeMaxRetriesFormat, retries)) : null;
                case "Misfire":
                    return MisfireNames.Any(n => string.Equals(n, value.Trim(), StringComparison.OrdinalIgnoreCase))
                        ? null
                        : (DiagnosticDescriptors.InvalidMisfirePolicy.Id, $"'{value}' is not a misfire policy; use {string.Join(", ", MisfireNames)}");
                default:
                    return null;
            }
        }

        // The runtime's words (JobRuleErrors.TimeZone); an id the analyzer does not know is a warning, as for the
        // attribute: the host may still have it, and the start-up check decides.
        private static (string Id, string Problem)? TimeZone(string id)
        {
            if (string.IsNullOrWhiteSpace(id)) return (DiagnosticDescriptors.MalformedTimeZone.Id, "TimeZone is empty; use \"UTC\" or an IANA/Windows id");
            var shown = PrintableText.Printable(id);
            if (TimeZoneIds.MalformedReason(id) is { } malformed)
            {
                return (DiagnosticDescriptors.MalformedTimeZone.Id, $"time zone \"{shown}\" {malformed}, which no host accepts (DCRON0018); use {RuleText.TimeZoneIdKinds}, or \"UTC\"");
            }

            if (TimeZoneIds.IsKnown(TimeZoneIds.Normalize(id))) return null;
            var fix = TimeZoneIds.SuggestionFor(id) is { } suggestion
                ? RuleText.DidYouMeanZone(suggestion)
                : "use " + RuleText.TimeZoneIdKinds + ", or \"UTC\"";
            return (DiagnosticDescriptors.UnknownTimeZone.Id, $"time zone \"{shown}\" is not a known IANA or Windows time zone id; {fix}");
        }
    }
}
