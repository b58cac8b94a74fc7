using Microsoft.CodeAnalysis;
using DistCron.Internal;

namespace DistCron.Generators
{
    /// <summary>Every diagnostic DistCron reports. Each message names the problem and says how to fix it.</summary>
    internal static class DiagnosticDescriptors
    {
        private const string ScheduleCategory = "DistCron.Schedule";
        private const string UsageCategory = "DistCron.Usage";

        public static readonly DiagnosticDescriptor InvalidCronExpression = Create(
            "DCRON0001", "Invalid cron expression",
            "Schedule \"{0}\" is not a valid cron expression: {1}; {2}",
            ScheduleCategory, DiagnosticSeverity.Error);

        public static readonly DiagnosticDescriptor ScheduleNeverFires = Create(
            "DCRON0002", "Schedule never fires",
            "Schedule \"{0}\" has no occurrence in any year (a day that no month it allows has), so the job would never run; fix the day-of-month, month or day-of-week field",
            ScheduleCategory, DiagnosticSeverity.Warning);

        public static readonly DiagnosticDescriptor UnknownTimeZone = Create(
            "DCRON0003", "Unknown time zone id",
            "Time zone \"{0}\" is not a known IANA or Windows time zone id; {1}",
            ScheduleCategory, DiagnosticSeverity.Warning);

        public static readonly DiagnosticDescriptor InvalidDuration = Create(
            "DCRON0004", "Invalid duration text",
            "{0} \"{1}\" is not a duration written hh:mm:ss; write it like \"00:05:00\" (five minutes) or \"1.00:00:00\" (one day)",
            UsageCategory, DiagnosticSeverity.Error);

        public static readonly DiagnosticDescriptor DurationOutOfRange = Create(
            "DCRON0005", "Duration out of range",
            "{0} \"{1}\" must be {2}",
            UsageCategory, DiagnosticSeverity.Error);

        public static readonly DiagnosticDescriptor NegativeMaxRetries = Create(
            "DCRON0006", "Negative MaxRetries",
            RuleText.NegativeMaxRetriesFormat,
            UsageCategory, DiagnosticSeverity.Error);

        public static readonly DiagnosticDescriptor GenericJobMethod = Create(
            "DCRON0007", "Generic job method",
            "Job method '{0}' {1}; a job is invoked without type arguments, so declare it as a non-generic method of a non-generic type",
            UsageCategory, DiagnosticSeverity.Error);

        public static readonly DiagnosticDescriptor JobMethodNotAccessible = Create(
            "DCRON0008", "Job method not accessible to generated code",
            "Job method '{0}' cannot be called by the generated registration because {1}; make it internal or public",
            UsageCategory, DiagnosticSeverity.Error);

        public static readonly DiagnosticDescriptor UnsupportedParameter = Create(
            "DCRON0009", "Unsupported job parameter",
            "Parameter '{0}' of job method '{1}' {2}; a job takes a CancellationToken, a JobContext or services resolved from dependency injection, all passed by value",
            UsageCategory, DiagnosticSeverity.Error);

        public static readonly DiagnosticDescriptor UnsupportedReturnType = Create(
            "DCRON0010", "Unsupported job return type",
            "Job method '{0}' {1}",
            UsageCategory, DiagnosticSeverity.Error);

        public static readonly DiagnosticDescriptor DuplicateJobName = Create(
            "DCRON0011", "Duplicate job name",
            "Job name \"{0}\" is declared {1} times in this assembly ({2}); give each job a unique Name",
            UsageCategory, DiagnosticSeverity.Error, WellKnownDiagnosticTags.CompilationEnd);

        public static readonly DiagnosticDescriptor InvalidJobName = Create(
            "DCRON0012", "Invalid job name",
            "Job name \"{0}\" is invalid: {1}; {2}",
            UsageCategory, DiagnosticSeverity.Error);

        public static readonly DiagnosticDescriptor MethodCannotBeJob = Create(
            "DCRON0013", "Method cannot be a job",
            "Method '{0}' cannot be a job because it {1}",
            UsageCategory, DiagnosticSeverity.Error);

        public static readonly DiagnosticDescriptor InvalidMisfirePolicy = Create(
            "DCRON0014", "Undefined misfire policy",
            RuleText.UndefinedMisfireFormat,
            UsageCategory, DiagnosticSeverity.Error);

        public static readonly DiagnosticDescriptor QuartzDayOfWeek = Create(
            "DCRON0015", "Quartz-style day-of-week numbers",
            "Schedule \"{0}\" is written Quartz-style ('?' for day-of-month) with numeric days of week, but DistCron counts 0 or 7 = Sunday, 1 = Monday, ... 6 = Saturday where Quartz counts 1 = Sunday{1}; write day names such as MON-FRI to say which days you mean",
            ScheduleCategory, DiagnosticSeverity.Warning);

        // DCRON0018-0019: time zone and day rules.
        public static readonly DiagnosticDescriptor MalformedTimeZone = Create(
            "DCRON0018", "Empty or malformed time zone id",
            "Time zone \"{0}\" {1}, and the runtime refuses it at start-up on every host; omit TimeZone (or write \"UTC\") for UTC, or write an IANA id such as \"Europe/Paris\" or a Windows id such as \"Romance Standard Time\"",
            ScheduleCategory, DiagnosticSeverity.Error);

        public static readonly DiagnosticDescriptor DayOfMonthAndDayOfWeek = Create(
            "DCRON0019", "Day-of-month and day-of-week both restricted",
            "Schedule \"{0}\" restricts both day-of-month ({1}) and day-of-week ({2}): DistCron, like Cronos, runs it only on days that match both, where classic crontab runs it on days that match either; to run on days that match either, declare two jobs, \"{3}\" and \"{4}\"; to run only on days that match both, keep it and suppress DCRON0019 (for the n-th weekday of a month, day-of-week DAY#n with day-of-month * says it without ambiguity)",
            ScheduleCategory, DiagnosticSeverity.Warning);

        public static readonly DiagnosticDescriptor ConditionalJobMethod = Create(
            "DCRON0016", "Conditional job method",
            "Job method '{0}' is [Conditional(\"{1}\")], so the generated call to it compiles away wherever {1} is not defined and the job would run without doing anything; remove [Conditional] from the job and call the conditional code from it instead",
            UsageCategory, DiagnosticSeverity.Error);

        public static readonly DiagnosticDescriptor NameRequiredForSeveralSchedules = Create(
            "DCRON0020", "Job name required on a method with several schedules",
            "Method '{0}' has {1} [DistributedCron] attributes: each one is a job of its own and needs a Name of its own, but this one has none; add Name = \"...\" to it (the method reads JobContext.JobName to tell which job is running)",
            UsageCategory, DiagnosticSeverity.Error);

        // Reported by the generator at a value in an appsettings*.json file (DistCron:Jobs): the same ID as the same
        // problem in an attribute, the message the runtime gives at start-up ("{key}: {problem}"), and two IDs for
        // what only configuration can get wrong.
        public static readonly DiagnosticDescriptor UnknownConfiguredJob = Create(
            "DCRON0021", "Configuration overrides a job no code declares",
            "{0}: {1}",
            UsageCategory, DiagnosticSeverity.Error);

        public static readonly DiagnosticDescriptor InvalidConfigurationSetting = Create(
            "DCRON0022", "Unknown or unreadable job setting in configuration",
            "{0}: {1}",
            UsageCategory, DiagnosticSeverity.Error);

        /// <summary>The diagnostics of appsettings values, by ID; each message is "{key}: {the runtime's words}".</summary>
        public static readonly DiagnosticDescriptor[] Configuration =
        {
            InConfiguration(InvalidCronExpression), InConfiguration(UnknownTimeZone), InConfiguration(MalformedTimeZone),
            InConfiguration(InvalidDuration), InConfiguration(DurationOutOfRange), InConfiguration(NegativeMaxRetries),
            InConfiguration(InvalidMisfirePolicy), UnknownConfiguredJob, InvalidConfigurationSetting,
        };

        /// <summary>The descriptor of <see cref="Configuration"/> with this ID.</summary>
        public static DiagnosticDescriptor ForConfiguration(string id)
        {
            foreach (var descriptor in Configuration)
            {
                if (descriptor.Id == id) return descriptor;
            }

            throw new System.ArgumentException("No configuration diagnostic " + id, nameof(id));
        }

        private static DiagnosticDescriptor InConfiguration(DiagnosticDescriptor attribute) =>
            Create(attribute.Id, attribute.Title.ToString(System.Globalization.CultureInfo.InvariantCulture), "{0}: {1}", attribute.Category, attribute.DefaultSeverity);

        // Reported by the generator, not the analyzer (so it survives builds without analyzers), once per assembly with
        // no location, and not configurable: silencing it would leave every job of the assembly unregistered.
        public static readonly DiagnosticDescriptor LanguageVersionTooLow = Create(
            "DCRON0017", "C# 9 or later required",
            "This project compiles with C# {0}, but the registration DistCron generates for its {1} [DistributedCron] job(s) ({2}) needs C# 9 or later (a module initializer), so none of them is registered; set <LangVersion> to 9.0 or later, or remove it to use the SDK's default",
            UsageCategory, DiagnosticSeverity.Error, WellKnownDiagnosticTags.NotConfigurable);

        /// <summary>The diagnostics the analyzer reports.</summary>
        public static readonly DiagnosticDescriptor[] All =
        {
            InvalidCronExpression, ScheduleNeverFires, UnknownTimeZone, InvalidDuration, DurationOutOfRange,
            NegativeMaxRetries, GenericJobMethod, JobMethodNotAccessible, UnsupportedParameter, UnsupportedReturnType,
            DuplicateJobName, InvalidJobName, MethodCannotBeJob, InvalidMisfirePolicy, QuartzDayOfWeek,
            ConditionalJobMethod, MalformedTimeZone, DayOfMonthAndDayOfWeek, NameRequiredForSeveralSchedules,
        };

        /// <summary>The diagnostics the generator reports itself.</summary>
        public static readonly DiagnosticDescriptor[] ReportedByGenerator = { LanguageVersionTooLow, UnknownConfiguredJob, InvalidConfigurationSetting };

        /// <summary>Documentation page of a diagnostic; every ID has one in docs/diagnostics.</summary>
        public static string HelpLink(string id) => "https://github.com/distcron/distcron/blob/main/docs/diagnostics/" + id + ".md";

        private static DiagnosticDescriptor Create(string id, string title, string message, string category, DiagnosticSeverity severity, params string[] tags) =>
            new DiagnosticDescriptor(id, title, message, category, severity, isEnabledByDefault: true, helpLinkUri: HelpLink(id), customTags: tags);
    }
}
