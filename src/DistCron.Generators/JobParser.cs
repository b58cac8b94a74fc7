using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Threading;
using DistCron.Internal;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace DistCron.Generators
{
    /// <summary>
    /// Reads a method and its <c>[DistributedCron]</c> attribute into a <see cref="JobModel"/> plus the problems
    /// found. Shared by the generator (which keeps only the model) and the analyzer (which reports the problems), so
    /// the two can never disagree about what is valid.
    /// </summary>
    internal static partial class JobParser
    {
        public const string AttributeMetadataName = "DistCron.DistributedCronAttribute";


        /// <summary>Namespace.Outer.Inner, no generic arguments, no "global::": the default-name prefix and the listing name.</summary>
        private static readonly SymbolDisplayFormat DisplayFormat = new SymbolDisplayFormat(
            typeQualificationStyle: SymbolDisplayTypeQualificationStyle.NameAndContainingTypesAndNamespaces,
            genericsOptions: SymbolDisplayGenericsOptions.None);

        /// <param name="method">The method carrying the attribute.</param>
        /// <param name="attribute">The attribute's data.</param>
        /// <param name="includeWarnings">
        /// Check for warnings too (a schedule that never fires, an unknown time zone, Quartz day numbers). The
        /// generator passes false: warnings do not stop generation, so it need not pay for them.
        /// </param>
        /// <param name="cancellationToken">Cancels the work.</param>
        public static JobParseOutcome Parse(IMethodSymbol method, AttributeData attribute, bool includeWarnings, CancellationToken cancellationToken)
        {
            var problems = new List<JobProblem>();
            if (attribute.ConstructorArguments.Length != 1 || attribute.ConstructorArguments[0].Kind == TypedConstantKind.Error)
            {
                // The compiler already reports the broken attribute; nothing to add, nothing to generate.
                return new JobParseOutcome(null, false, null, problems);
            }

            var schedule = attribute.ConstructorArguments[0].Value as string;
            string? explicitName = null;
            string? timeZone = null;
            string? timeoutText = null;
            string? retryDelayText = null;
            var misfire = 0;
            var maxRetries = 0;
            foreach (var named in attribute.NamedArguments)
            {
                var value = named.Value.Kind == TypedConstantKind.Error ? null : named.Value.Value;
                switch (named.Key)
                {
                    case "Name": explicitName = value as string; break;
                    case "TimeZone": timeZone = value as string; break;
                    case "Timeout": timeoutText = value as string; break;
                    case "RetryDelay": retryDelayText = value as string; break;
                    case "Misfire": misfire = value is int m ? m : 0; break;
                    case "MaxRetries": maxRetries = value is int r ? r : 0; break;
                }
            }

            // An extension block's type has an unspeakable name: show the static class the user wrote it in.
            var shownType = method.ContainingType is { } containing && IsExtensionBlock(containing) ? containing.ContainingType : method.ContainingType;
            var typeDisplay = shownType?.ToDisplayString(DisplayFormat);
            var defaultName = typeDisplay is null ? method.Name : typeDisplay + "." + method.Name;
            var methodDisplay = DisplayName(method, defaultName);
            var nameIsExplicit = explicitName != null;
            var name = explicitName ?? defaultName;
            var schedules = CountSchedules(method, attribute.AttributeClass);
            var nameMissing = !nameIsExplicit && schedules > 1;
            if (nameMissing)
            {
                // Each attribute is a job of its own: the default name would be every one's, so the user names each.
                problems.Add(new JobProblem(DiagnosticDescriptors.NameRequiredForSeveralSchedules, ProblemSite.Attribute, -1, methodDisplay, schedules));
            }

            // The default name of a method that cannot be a job at all is moot: DCRON0013 says why, alone; and so is
            // one the user must replace anyway (DCRON0020).
            var nameError = JobOptionText.NameError(name);
            if (nameError != null && !nameMissing && (nameIsExplicit || KindProblem(method) is null))
            {
                var fix = nameIsExplicit
                    ? "use " + RuleText.NameRule
                    : "the default name is Namespace.Type.Method; set Name explicitly to " + RuleText.NameRule;
                var problem = new JobProblem(DiagnosticDescriptors.InvalidJobName, nameIsExplicit ? ProblemSite.Name : ProblemSite.Method, -1, nameIsExplicit ? Shown(name) : name, nameError, fix);
                var suggested = nameIsExplicit ? null : SuggestedName(name);
                problems.Add(suggested != null ? problem.WithNameToAdd(suggested) : problem);
            }

            cancellationToken.ThrowIfCancellationRequested();
            var parsed = AddScheduleProblems(schedule, name, includeWarnings, problems);

            AddTimeZoneProblems(timeZone ?? TimeZoneIds.Utc, includeWarnings, problems);
            // The definition carries the id as the runtime reads it ("utc" -> "UTC", " europe/paris " ->
            // "Europe/Paris"), so stores, logs and the CLI show one spelling.
            var zone = TimeZoneIds.MalformedReason(timeZone) == null ? TimeZoneIds.Normalize(timeZone ?? TimeZoneIds.Utc) : TimeZoneIds.Utc;

            var timeout = ReadDuration(timeoutText, "Timeout", ProblemSite.Timeout, allowZero: false,
                "remove Timeout for no time limit, or write a positive duration such as \"00:05:00\"", problems);
            var retryDelay = ReadDuration(retryDelayText, "RetryDelay", ProblemSite.RetryDelay, allowZero: true,
                "write a duration such as \"00:00:10\"", problems);

            if (maxRetries < 0)
            {
                problems.Add(new JobProblem(DiagnosticDescriptors.NegativeMaxRetries, ProblemSite.MaxRetries, -1, maxRetries));
            }

            if (misfire != 0 && misfire != 1)
            {
                problems.Add(new JobProblem(DiagnosticDescriptors.InvalidMisfirePolicy, ProblemSite.Misfire, -1, misfire));
            }

            var shape = ReadShape(method, methodDisplay, problems);
            if (RefusalMessage(problems) is { } refusal)
            {
                return new JobParseOutcome(name, nameIsExplicit, JobModel.Refused(name, typeDisplay ?? string.Empty, method.Name, refusal), problems);
            }

            var hash = StableHash.DefinitionWithDurations(name, schedule!, zone, misfire, timeout, retryDelay, maxRetries);
            var model = new JobModel(
                name, schedule!, parsed.IncludeSeconds, zone, misfire, timeout?.Ticks, retryDelay?.Ticks, maxRetries, hash,
                shape!.Value.DeclaringTypeName, typeDisplay!, method.Name, method.IsStatic,
                shape.Value.Disposal, shape.Value.ReturnKind, shape.Value.Parameters);
            return new JobParseOutcome(name, nameIsExplicit, model, problems);
        }

        /// <summary>
        /// The jobs of one declaration of a method, one per <c>[DistributedCron]</c> attribute in
        /// <paramref name="attributes"/> written on <paramref name="declaration"/>, in declaration order; attributes the
        /// compiler reports as broken are left out.
        /// </summary>
        /// <remarks>
        /// Each part of a partial method that carries attributes is a declaration of its own, yet sees the attributes of
        /// both parts: only its own are its jobs, so each attribute is one job whichever part it is written on.
        /// </remarks>
        public static EquatableArray<JobModel> ParseAll(IMethodSymbol method, SyntaxNode declaration, ImmutableArray<AttributeData> attributes, CancellationToken cancellationToken)
        {
            var models = new List<JobModel>(attributes.Length);
            foreach (var attribute in attributes)
            {
                var written = attribute.ApplicationSyntaxReference;
                if (written != null && (written.SyntaxTree != declaration.SyntaxTree || !declaration.Span.Contains(written.Span))) continue;
                if (Parse(method, attribute, includeWarnings: false, cancellationToken).Model is { } model) models.Add(model);
            }

            return new EquatableArray<JobModel>(models.ToArray());
        }

        // How many [DistributedCron] attributes the method carries (all parts of a partial method together).
        private static int CountSchedules(IMethodSymbol method, INamedTypeSymbol? attributeClass)
        {
            var count = 0;
            foreach (var attribute in method.GetAttributes())
            {
                if (SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, attributeClass)) count++;
            }

            return count;
        }

        /// <summary>The schedule's problems (errors, and warnings when asked), each at <see cref="ProblemSite.Schedule"/>; the parse result.</summary>
        internal static ScheduleParseResult AddScheduleProblems(string? schedule, string name, bool includeWarnings, List<JobProblem> problems)
        {
            var parsed = ScheduleText.Parse(schedule, name);
            if (!parsed.Success)
            {
                var problem = new JobProblem(DiagnosticDescriptors.InvalidCronExpression, ProblemSite.Schedule, -1, Shown(schedule ?? string.Empty), Shown(parsed.Error ?? "it cannot be read"),
                    parsed.Hint ?? RuleText.ScheduleFix);
                problems.Add(includeWarnings ? problem.WithReplacements(ScheduleFixes.ForInvalid(schedule, name)) : problem);
            }
            else if (includeWarnings)
            {
                AddScheduleWarnings(schedule!, name, parsed, problems);
            }

            return parsed;
        }

        // Warnings about a valid schedule: it never fires, it numbers days the Quartz way, or it restricts both days.
        private static void AddScheduleWarnings(string schedule, string name, ScheduleParseResult parsed, List<JobProblem> problems)
        {
            if (ScheduleText.NeverFires(parsed.Expression!))
            {
                problems.Add(new JobProblem(DiagnosticDescriptors.ScheduleNeverFires, ProblemSite.Schedule, -1, Shown(schedule)));
            }

            if (ScheduleText.LooksLikeQuartzDayOfWeek(schedule))
            {
                var fields = ScheduleText.Fields(schedule);
                var dayOfWeek = fields[fields.Length - 1];
                var quartz = ScheduleText.DayOfWeekAsNames(dayOfWeek, quartzNumbering: true);
                var unix = ScheduleText.DayOfWeekAsNames(dayOfWeek, quartzNumbering: false);
                var readings = quartz != null && unix != null && dayOfWeek.IndexOf('H') < 0 && dayOfWeek.IndexOf('h') < 0
                    ? $" (here {dayOfWeek} is {unix}; in Quartz it is {quartz})"
                    : string.Empty;
                problems.Add(new JobProblem(DiagnosticDescriptors.QuartzDayOfWeek, ProblemSite.Schedule, -1, Shown(schedule), Shown(readings))
                    .WithReplacements(ScheduleFixes.ForQuartzDayOfWeek(schedule, name)));
            }

            if (ScheduleText.RestrictsBothDays(parsed, out var dayOfMonthField, out var dayOfWeekField))
            {
                // The two jobs of the "either" reading, written as the user wrote the rest of the schedule.
                var fields = ScheduleText.Fields(schedule);
                var onDayOfMonth = (string[])fields.Clone();
                onDayOfMonth[fields.Length - 1] = "*";
                var onDayOfWeek = (string[])fields.Clone();
                onDayOfWeek[fields.Length - 3] = "*";
                problems.Add(new JobProblem(DiagnosticDescriptors.DayOfMonthAndDayOfWeek, ProblemSite.Schedule, -1,
                    Shown(schedule), Shown(fields[fields.Length - 3]), Shown(fields[fields.Length - 1]), Shown(string.Join(" ", onDayOfMonth)), Shown(string.Join(" ", onDayOfWeek))));
            }
        }

        // The analyzer's half of the one time zone rule (TimeZoneIds.Normalize; the runtime's TimeZoneResolver is the
        // other half): an empty or malformed id is an error as at start-up; "utc", " Europe/Paris " and "europe/paris"
        // are read as the runtime reads them.
        internal static void AddTimeZoneProblems(string zone, bool includeWarnings, List<JobProblem> problems)
        {
            if (TimeZoneIds.MalformedReason(zone) is { } malformed)
            {
                var fixes = new List<TextFix>();
                var visible = new System.Text.StringBuilder();
                foreach (var c in zone.Trim())
                {
                    if (PrintableText.IsShownAsIs(c)) visible.Append(c);
                }

                var cleaned = TimeZoneIds.Normalize(visible.ToString());
                if (TimeZoneIds.IsKnown(cleaned)) fixes.Add(new TextFix($"Use \"{cleaned}\"", cleaned));
                fixes.Add(new TextFix("Use \"UTC\"", TimeZoneIds.Utc));
                problems.Add(new JobProblem(DiagnosticDescriptors.MalformedTimeZone, ProblemSite.TimeZone, -1, Shown(zone), malformed).WithReplacements(fixes));
                return;
            }

            if (!includeWarnings || TimeZoneIds.IsKnown(TimeZoneIds.Normalize(zone)))
            {
                return;
            }

            var suggestion = TimeZoneIds.SuggestionFor(zone);
            var fix = suggestion != null
                ? RuleText.DidYouMeanZone(suggestion)
                : "use " + RuleText.TimeZoneIdKinds + ", or omit TimeZone for UTC";
            var problem = new JobProblem(DiagnosticDescriptors.UnknownTimeZone, ProblemSite.TimeZone, -1, Shown(zone), fix);
            problems.Add(suggestion != null ? problem.WithReplacements(new[] { new TextFix($"Use \"{suggestion}\"", suggestion) }) : problem);
        }

        // A value that must be ASCII (schedule, time zone, explicit name), as messages show it: anything else escaped,
        // so a newline cannot cut the message and a look-alike letter ('о' for 'o') shows why the value is refused.
        internal static string Shown(string value) => PrintableText.Printable(value, int.MaxValue);

        // What a message calls the method: the name the user wrote ("operator +", "P.get"), and for a lambda, which
        // has no name, where it is.
        private static string DisplayName(IMethodSymbol method, string defaultName)
        {
            switch (method.MethodKind)
            {
                case MethodKind.Ordinary:
                case MethodKind.LocalFunction:
                    return defaultName;
                case MethodKind.AnonymousFunction:
                    var span = method.Locations.Length > 0 ? method.Locations[0].GetLineSpan() : default;
                    return span.Path is { Length: > 0 } path
                        ? $"lambda expression at {System.IO.Path.GetFileName(path)}({span.StartLinePosition.Line + 1},{span.StartLinePosition.Character + 1})"
                        : "lambda expression";
                default:
                    return method.ToDisplayString(MemberDisplayFormat);
            }
        }

        private static readonly SymbolDisplayFormat MemberDisplayFormat = new SymbolDisplayFormat(
            typeQualificationStyle: SymbolDisplayTypeQualificationStyle.NameAndContainingTypesAndNamespaces,
            genericsOptions: SymbolDisplayGenericsOptions.None,
            memberOptions: SymbolDisplayMemberOptions.IncludeContainingType);

        // A valid name close to an invalid default one, for the code fix that sets Name: accents dropped, any other
        // character outside the allowed set replaced by '_', and the end kept when it is too long (the method name
        // is what tells jobs apart).
        private static string? SuggestedName(string defaultName)
        {
            var decomposed = defaultName.Normalize(System.Text.NormalizationForm.FormD);
            var builder = new System.Text.StringBuilder(decomposed.Length);
            foreach (var c in decomposed)
            {
                if (System.Globalization.CharUnicodeInfo.GetUnicodeCategory(c) == System.Globalization.UnicodeCategory.NonSpacingMark) continue;
                var ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == ':' || c == '-';
                builder.Append(ok ? c : '_');
            }

            var name = builder.ToString();
            if (name.Length > JobOptionText.MaxNameLength) name = name.Substring(name.Length - JobOptionText.MaxNameLength);
            return JobOptionText.NameError(name) == null ? name : null;
        }

        // The errors exactly as the build reports them, ID first: what the runtime says when it refuses the job.
        private static string? RefusalMessage(List<JobProblem> problems)
        {
            StringBuilder? message = null;
            foreach (var problem in problems)
            {
                if (problem.Descriptor.DefaultSeverity != DiagnosticSeverity.Error) continue;
                message = message is null ? new StringBuilder() : message.Append(". ");
                message.Append(problem.Descriptor.Id).Append(": ")
                    .Append(problem.ToDiagnostic(Location.None, null).GetMessage(CultureInfo.InvariantCulture));
            }

            return message?.ToString();
        }

        private static TimeSpan? ReadDuration(string? text, string option, ProblemSite site, bool allowZero, string rangeFix, List<JobProblem> problems)
        {
            if (text == null) return null;
            if (!JobOptionText.TryParseDuration(text, out var value, out _))
            {
                problems.Add(new JobProblem(DiagnosticDescriptors.InvalidDuration, site, -1, option, text));
                return null;
            }

            // The rule and its wording are shared with the start-up validation (JobOptionText).
            if (!JobOptionText.DurationInRange(value, allowZero))
            {
                problems.Add(new JobProblem(DiagnosticDescriptors.DurationOutOfRange, site, -1, option, text,
                    JobOptionText.DurationRange(allowZero) + "; " + rangeFix));
                return null;
            }

            return value;
        }
    }
}
