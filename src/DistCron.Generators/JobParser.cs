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
    /// <summary>Which part of the declaration a problem belongs to; the analyzer turns it into an exact span.</summary>
    internal enum ProblemSite
    {
        Method,
        Parameter,
        Schedule,
        Name,
        TimeZone,
        Timeout,
        RetryDelay,
        MaxRetries,
        Misfire,
    }

    /// <summary>One thing wrong with a job declaration.</summary>
    internal readonly struct JobProblem
    {
        public JobProblem(DiagnosticDescriptor descriptor, ProblemSite site, int parameterIndex, params object[] arguments)
        {
            Descriptor = descriptor;
            Site = site;
            ParameterIndex = parameterIndex;
            Arguments = arguments;
            Properties = ImmutableDictionary<string, string?>.Empty;
        }

        private JobProblem(JobProblem problem, ImmutableDictionary<string, string?> properties)
            : this(problem.Descriptor, problem.Site, problem.ParameterIndex, problem.Arguments)
        {
            Properties = properties;
        }

        public DiagnosticDescriptor Descriptor { get; }

        public ProblemSite Site { get; }

        /// <summary>For <see cref="ProblemSite.Parameter"/>: which parameter.</summary>
        public int ParameterIndex { get; }

        public object[] Arguments { get; }

        /// <summary>Fix data for DistCron.CodeFixes (keys in <see cref="FixProperties"/>).</summary>
        public ImmutableDictionary<string, string?> Properties { get; }

        /// <summary>This problem with literal replacements a code fix can offer, in order.</summary>
        public JobProblem WithReplacements(IReadOnlyList<TextFix> fixes)
        {
            var properties = Properties;
            for (var i = 0; i < fixes.Count; i++)
            {
                properties = properties
                    .SetItem(FixProperties.ReplacePrefix + i.ToString(System.Globalization.CultureInfo.InvariantCulture), fixes[i].Replacement)
                    .SetItem(FixProperties.TitlePrefix + i.ToString(System.Globalization.CultureInfo.InvariantCulture), fixes[i].Title);
            }

            return new JobProblem(this, properties);
        }

        /// <summary>This problem with a job name a code fix can add to the attribute.</summary>
        public JobProblem WithNameToAdd(string name) => new JobProblem(this, Properties.SetItem(FixProperties.AddName, name));

        /// <summary>
        /// The diagnostic, with every text argument shown through <see cref="PrintableText"/>: a newline, NUL, NBSP or
        /// bidi character is shown escaped (MSBuild prints a message's first line only), letters of any script are
        /// kept (identifiers), and DistCron's own wording, which has none of these, is unchanged. Values that must
        /// be ASCII are escaped further where they are read (<see cref="JobParser.Shown"/>).
        /// </summary>
        public Diagnostic ToDiagnostic(Location location, Location? attributeLocation)
        {
            var arguments = new object[Arguments.Length];
            for (var i = 0; i < arguments.Length; i++)
            {
                arguments[i] = Arguments[i] is string text ? PrintableText.Printable(text, int.MaxValue, keepLetters: true) : Arguments[i];
            }

            var additional = attributeLocation != null && Properties.ContainsKey(FixProperties.AddName) ? new[] { attributeLocation } : null;
            return Diagnostic.Create(Descriptor, location, additional, Properties, arguments);
        }
    }

    /// <summary>The result of reading one <c>[DistributedCron]</c> method.</summary>
    internal sealed class JobParseOutcome
    {
        public JobParseOutcome(string? name, bool nameIsExplicit, JobModel? model, List<JobProblem> problems)
        {
            Name = name;
            NameIsExplicit = nameIsExplicit;
            Model = model;
            Problems = problems;
        }

        /// <summary>The job's name (explicit or default), or null when the attribute could not be read.</summary>
        public string? Name { get; }

        public bool NameIsExplicit { get; }

        /// <summary>
        /// The job to generate, or null when the attribute could not be read (the compiler reports that). A job with
        /// errors is still a model, a refused one (<see cref="JobModel.BuildError"/>): the runtime refuses it at start-up,
        /// so a build that did not report the errors cannot silently lose the job.
        /// </summary>
        public JobModel? Model { get; }

        public List<JobProblem> Problems { get; }
    }

    /// <summary>
    /// Reads a method and its <c>[DistributedCron]</c> attribute into a <see cref="JobModel"/> plus the problems
    /// found. Shared by the generator (which keeps only the model) and the analyzer (which reports the problems), so
    /// the two can never disagree about what is valid.
    /// </summary>
    internal static class JobParser
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
            // The default name of a method that cannot be a job at all is moot: DCRON0013 says why, alone.
            var nameError = JobOptionText.NameError(name);
            if (nameError != null && (nameIsExplicit || KindProblem(method) is null))
            {
                var fix = nameIsExplicit
                    ? $"use at most {JobOptionText.MaxNameLength} characters from A-Z, a-z, 0-9, '.', '_', ':' and '-'"
                    : $"the default name is Namespace.Type.Method; set Name explicitly to at most {JobOptionText.MaxNameLength} characters from A-Z, a-z, 0-9, '.', '_', ':' and '-'";
                var problem = new JobProblem(DiagnosticDescriptors.InvalidJobName, nameIsExplicit ? ProblemSite.Name : ProblemSite.Method, -1, nameIsExplicit ? Shown(name) : name, nameError, fix);
                var suggested = nameIsExplicit ? null : SuggestedName(name);
                problems.Add(suggested != null ? problem.WithNameToAdd(suggested) : problem);
            }

            cancellationToken.ThrowIfCancellationRequested();
            var parsed = ScheduleText.Parse(schedule, name);
            if (!parsed.Success)
            {
                var problem = new JobProblem(DiagnosticDescriptors.InvalidCronExpression, ProblemSite.Schedule, -1, Shown(schedule ?? string.Empty), Shown(parsed.Error ?? "it cannot be read"),
                    parsed.Hint ?? "write 5 fields (minute hour day-of-month month day-of-week), 6 fields with seconds first, or a macro such as @hourly");
                problems.Add(includeWarnings ? problem.WithReplacements(ScheduleFixes.ForInvalid(schedule, name)) : problem);
            }
            else if (includeWarnings)
            {
                AddScheduleWarnings(schedule!, name, parsed, problems);
            }

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
        private static void AddTimeZoneProblems(string zone, bool includeWarnings, List<JobProblem> problems)
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
                ? $"did you mean \"{suggestion}\"? Ids use '_' for a space"
                : "use an IANA id such as \"Europe/Paris\", a Windows id such as \"Romance Standard Time\", or omit TimeZone for UTC";
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

        private readonly struct Shape
        {
            public Shape(string declaringTypeName, InstanceDisposal disposal, ReturnKind returnKind, EquatableArray<ParameterModel> parameters)
            {
                DeclaringTypeName = declaringTypeName;
                Disposal = disposal;
                ReturnKind = returnKind;
                Parameters = parameters;
            }

            public string DeclaringTypeName { get; }
            public InstanceDisposal Disposal { get; }
            public ReturnKind ReturnKind { get; }
            public EquatableArray<ParameterModel> Parameters { get; }
        }

        // Everything about the method itself: kind, genericity, reachability, parameters, return type.
        private static Shape? ReadShape(IMethodSymbol method, string display, List<JobProblem> problems)
        {
            var before = problems.Count;
            var type = method.ContainingType;
            var kindReason = KindProblem(method);
            if (kindReason != null || type is null)
            {
                problems.Add(new JobProblem(DiagnosticDescriptors.MethodCannotBeJob, ProblemSite.Method, -1, display, kindReason ?? "is not declared in a type"));
                return null;
            }

            var condition = ConditionalSymbol(method);
            if (condition != null)
            {
                problems.Add(new JobProblem(DiagnosticDescriptors.ConditionalJobMethod, ProblemSite.Method, -1, display, condition));
            }

            if (method.IsGenericMethod)
            {
                problems.Add(new JobProblem(DiagnosticDescriptors.GenericJobMethod, ProblemSite.Method, -1, display, "is generic"));
            }
            else
            {
                for (var t = type; t != null; t = t.ContainingType)
                {
                    if (t.TypeParameters.Length > 0)
                    {
                        problems.Add(new JobProblem(DiagnosticDescriptors.GenericJobMethod, ProblemSite.Method, -1, display,
                            $"is declared in generic type '{t.ToDisplayString(SymbolDisplayFormat.CSharpErrorMessageFormat)}'"));
                        break;
                    }
                }
            }

            var unreachable = UnreachableReason(method);
            if (unreachable != null)
            {
                problems.Add(new JobProblem(DiagnosticDescriptors.JobMethodNotAccessible, ProblemSite.Method, -1, display, unreachable));
            }

            var parameters = new ParameterModel[method.Parameters.Length];
            for (var i = 0; i < method.Parameters.Length; i++)
            {
                var parameter = method.Parameters[i];
                var reason = ParameterProblem(parameter);
                if (reason != null)
                {
                    problems.Add(new JobProblem(DiagnosticDescriptors.UnsupportedParameter, ProblemSite.Parameter, i, parameter.Name, display, reason));
                    continue;
                }

                var argument = ReadParameter(parameter);
                if (argument is null)
                {
                    problems.Add(new JobProblem(DiagnosticDescriptors.UnsupportedParameter, ProblemSite.Parameter, i, parameter.Name, display,
                        "has a default value that generated code cannot reproduce; remove the default or take a service instead"));
                    continue;
                }

                parameters[i] = argument;
            }

            var returnKind = ReturnKind.Void;
            if (method.ReturnsVoid)
            {
                if (method.IsAsync)
                {
                    problems.Add(new JobProblem(DiagnosticDescriptors.UnsupportedReturnType, ProblemSite.Method, -1, display,
                        "is async void, so its failure or completion cannot be observed; return Task instead"));
                }
            }
            else if (method.ReturnsByRef || method.ReturnsByRefReadonly)
            {
                problems.Add(new JobProblem(DiagnosticDescriptors.UnsupportedReturnType, ProblemSite.Method, -1, display,
                    "returns by reference; return void, Task or ValueTask"));
            }
            else if (IsType(method.ReturnType, "Task", "Tasks", "Threading", "System"))
            {
                returnKind = ReturnKind.Task;
            }
            else if (IsType(method.ReturnType, "ValueTask", "Tasks", "Threading", "System"))
            {
                returnKind = ReturnKind.ValueTask;
            }
            else
            {
                problems.Add(new JobProblem(DiagnosticDescriptors.UnsupportedReturnType, ProblemSite.Method, -1, display,
                    $"returns '{method.ReturnType.ToDisplayString(SymbolDisplayFormat.CSharpErrorMessageFormat)}', whose value nobody would read; return void, Task or ValueTask"));
            }

            if (problems.Count != before)
            {
                return null;
            }

            var disposal = InstanceDisposal.None;
            if (!method.IsStatic && type.TypeKind == TypeKind.Class)
            {
                foreach (var implemented in type.AllInterfaces)
                {
                    if (IsType(implemented, "IAsyncDisposable", "System")) disposal = InstanceDisposal.DisposeAsync;
                    else if (IsType(implemented, "IDisposable", "System") && disposal == InstanceDisposal.None) disposal = InstanceDisposal.Dispose;
                }
            }

            return new Shape(TypeName(type), disposal, returnKind, new EquatableArray<ParameterModel>(parameters));
        }

        /// <summary>
        /// global::-qualified, with nullable annotations (a <c>List&lt;string?&gt;</c> parameter must be asked for as
        /// such, or the call is CS8620 under nullable warnings), keywords escaped.
        /// </summary>
        private static readonly SymbolDisplayFormat TypeFormat = SymbolDisplayFormat.FullyQualifiedFormat
            .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

        /// <summary>A type name for generated code; also escapes contextual keywords (a type named 'await').</summary>
        public static string TypeName(ITypeSymbol type) => EscapeContextualKeywords(type.ToDisplayString(TypeFormat));

        // SymbolDisplay escapes reserved keywords only. An identifier that is a contextual keyword ('await' in an async
        // invoker, 'record', 'file') gets an '@' too: '@' always means the identifier. The alias in "global::" stays.
        private static string EscapeContextualKeywords(string display)
        {
            var result = new StringBuilder(display.Length + 4);
            var i = 0;
            while (i < display.Length)
            {
                if (!IsIdentifierPart(display[i]))
                {
                    result.Append(display[i++]);
                    continue;
                }

                var start = i;
                while (i < display.Length && IsIdentifierPart(display[i])) i++;
                var word = display.Substring(start, i - start);
                var isAlias = i + 1 < display.Length && display[i] == ':' && display[i + 1] == ':';
                if (!isAlias && word[0] != '@' && !char.IsDigit(word[0]) && SyntaxFacts.GetContextualKeywordKind(word) != SyntaxKind.None)
                {
                    result.Append('@');
                }

                result.Append(word);
            }

            return result.ToString();
        }

        private static bool IsIdentifierPart(char c) => char.IsLetterOrDigit(c) || c == '_' || c == '@';

        /// <summary>
        /// True for the non-generic type <paramref name="name"/> in the namespace given innermost first
        /// ("Tasks", "Threading", "System"). Cheaper than comparing display strings, which the generator would pay
        /// for every job on every compilation change.
        /// </summary>
        private static bool IsType(ITypeSymbol type, string name, params string[] namespaces)
        {
            if (type is not INamedTypeSymbol named || named.Name != name || named.Arity != 0 || named.ContainingType != null)
            {
                return false;
            }

            var ns = named.ContainingNamespace;
            foreach (var part in namespaces)
            {
                if (ns is null || ns.Name != part) return false;
                ns = ns.ContainingNamespace;
            }

            return ns is { IsGlobalNamespace: true };
        }

        private static string? KindProblem(IMethodSymbol method)
        {
            switch (method.MethodKind)
            {
                case MethodKind.Ordinary:
                    break;
                case MethodKind.LocalFunction:
                    return "is a local function; declare it as a method of a class";
                case MethodKind.AnonymousFunction:
                    return "is a lambda; declare it as a method of a class";
                case MethodKind.PropertyGet:
                case MethodKind.PropertySet:
                case MethodKind.EventAdd:
                case MethodKind.EventRemove:
                    return "is an accessor; declare an ordinary method instead";
                case MethodKind.ExplicitInterfaceImplementation:
                    return "is an explicit interface implementation, which only the interface can call; declare an ordinary method instead";
                default:
                    return "is not an ordinary method; declare an ordinary method instead";
            }

            var type = method.ContainingType;
            if (type != null && IsExtensionBlock(type))
            {
                return "is a member of a C# 14 extension block (extension(...) { }), which generated code cannot call as an ordinary method; declare the job as a static method of a static class and call the extension member from it";
            }

            if (type != null && !type.CanBeReferencedByName)
            {
                return "is declared in a type that cannot be named in C# code; declare it in a named class";
            }

            if (type?.TypeKind == TypeKind.Interface)
            {
                return "is declared in an interface; put [DistributedCron] on a method of a class";
            }

            if (method.IsAbstract)
            {
                return "is abstract; put [DistributedCron] on the method that implements it";
            }

            if (!method.IsStatic && type != null && type.IsAbstract)
            {
                return $"is an instance method of abstract class '{type.Name}', which cannot be created for a run; make the method static or move it to a concrete class";
            }

            if (!method.IsStatic && type?.TypeKind == TypeKind.Struct)
            {
                return type.IsRefLikeType
                    ? $"is an instance method of ref struct '{type.Name}', which generated code cannot create or hold across an await; make the method static or move it to a class"
                    : $"is an instance method of struct '{type.Name}', which dependency injection cannot create for a run; make the method static or move it to a class";
            }

            if (!method.IsStatic && type?.TypeKind == TypeKind.Class && !HasPublicConstructor(type))
            {
                return $"is an instance method of class '{type.Name}', which has no public constructor, so dependency injection cannot create it for a run; add a public constructor or make the method static";
            }

            for (ISymbol? symbol = method; symbol != null; symbol = symbol.ContainingType)
            {
                if (IsObsoleteError(symbol))
                {
                    return ReferenceEquals(symbol, method)
                        ? "is [Obsolete] with error: true, so the generated registration cannot call it; remove [DistributedCron] from the obsolete method or make the obsolescence a warning"
                        : $"is declared in type '{symbol.Name}', which is [Obsolete] with error: true, so the generated registration cannot name it; move the job or make the obsolescence a warning";
                }
            }

            return null;
        }

        // C# 14 extension blocks are types of a kind Roslyn 4.8 does not know (TypeKind.Extension, 14, in later
        // versions); the generator runs inside the user's newer compiler, so read the kind by name and by value.
        private static bool IsExtensionBlock(INamedTypeSymbol type) =>
            type.TypeKind.ToString() == "Extension" || (int)type.TypeKind == 14;

        private static bool HasPublicConstructor(INamedTypeSymbol type)
        {
            foreach (var constructor in type.InstanceConstructors)
            {
                if (constructor.DeclaredAccessibility == Accessibility.Public) return true;
            }

            return false;
        }

        private static bool IsObsoleteError(ISymbol symbol)
        {
            foreach (var attribute in symbol.GetAttributes())
            {
                if (attribute.AttributeClass is { } attributeClass && IsType(attributeClass, "ObsoleteAttribute", "System")
                    && attribute.ConstructorArguments.Length == 2 && attribute.ConstructorArguments[1].Value is true)
                {
                    return true;
                }
            }

            return false;
        }

        // The symbol of [Conditional("X")] on the method, or null.
        private static string? ConditionalSymbol(IMethodSymbol method)
        {
            foreach (var attribute in method.GetAttributes())
            {
                if (attribute.AttributeClass is { } attributeClass && IsType(attributeClass, "ConditionalAttribute", "Diagnostics", "System"))
                {
                    return attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Value is string symbol ? symbol : string.Empty;
                }
            }

            return null;
        }

        private static string? UnreachableReason(IMethodSymbol method)
        {
            if (!IsReachable(method.DeclaredAccessibility))
            {
                return $"it is {Describe(method.DeclaredAccessibility)}";
            }

            for (var type = method.ContainingType; type != null; type = type.ContainingType)
            {
                if (!IsReachable(type.DeclaredAccessibility))
                {
                    return $"its containing type '{type.Name}' is {Describe(type.DeclaredAccessibility)}";
                }

                if (type.IsFileLocal)
                {
                    return $"its containing type '{type.Name}' is file-local";
                }
            }

            return null;
        }

        // Generated code lives in the same assembly, so anything visible assembly-wide can be called.
        private static bool IsReachable(Accessibility accessibility) =>
            accessibility == Accessibility.Public || accessibility == Accessibility.Internal || accessibility == Accessibility.ProtectedOrInternal;

        private static string Describe(Accessibility accessibility) => accessibility switch
        {
            Accessibility.Private => "private",
            Accessibility.Protected => "protected",
            Accessibility.ProtectedAndInternal => "private protected",
            _ => accessibility.ToString().ToLowerInvariant(),
        };

        private static string? ParameterProblem(IParameterSymbol parameter)
        {
            switch (parameter.RefKind)
            {
                case RefKind.None:
                    break;
                case RefKind.Out:
                    return "is an out parameter";
                case RefKind.In:
                    return "is an in parameter";
                default:
                    return "is passed by reference";
            }

            if (parameter.Type.TypeKind == TypeKind.Pointer || parameter.Type.TypeKind == TypeKind.FunctionPointer)
            {
                return "has a pointer type";
            }

            if (parameter.Type.IsRefLikeType)
            {
                return $"has ref struct type '{parameter.Type.ToDisplayString(SymbolDisplayFormat.CSharpErrorMessageFormat)}', which cannot be resolved from dependency injection";
            }

            if (parameter.IsParams)
            {
                return "is a params parameter, which dependency injection cannot fill; take the service the values come from instead";
            }

            var type = parameter.Type;
            if (type.TypeKind == TypeKind.Dynamic)
            {
                return "has type dynamic, which dependency injection cannot resolve; declare the service's type";
            }

            if (type.IsTupleType || (Underlying(type) is { IsTupleType: true }))
            {
                return $"has tuple type '{type.ToDisplayString(SymbolDisplayFormat.CSharpErrorMessageFormat)}', which is not a service; take a service type, or give the parameter a default value";
            }

            // Legal in the user's code inside an [Obsolete] job, but CS0619 where the generated code names it.
            for (var named = (Underlying(type) ?? type) as INamedTypeSymbol; named != null; named = named.ContainingType)
            {
                if (IsObsoleteError(named))
                {
                    return $"has type '{type.ToDisplayString(SymbolDisplayFormat.CSharpErrorMessageFormat)}', which is [Obsolete] with error: true, so the generated registration cannot name it; take a service type that is not obsolete";
                }
            }

            if (!IsSpecial(type) && IsValue(type) && !parameter.IsOptional)
            {
                return $"has type '{type.ToDisplayString(SymbolDisplayFormat.CSharpErrorMessageFormat)}', a value rather than a service, so dependency injection cannot supply it; give it a default value (such as 'int retries = 3') or read it from a service such as IOptions<T>";
            }

            return null;
        }

        // CancellationToken, JobContext and IServiceProvider are passed by the runtime, not resolved.
        private static bool IsSpecial(ITypeSymbol type) =>
            IsType(type, "CancellationToken", "Threading", "System") || IsType(type, "JobContext", "DistCron") || IsType(type, "IServiceProvider", "System");

        private static ITypeSymbol? Underlying(ITypeSymbol type) =>
            type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable ? nullable.TypeArguments[0] : null;

        // A primitive, string, enum or date (or a Nullable of one): data, which DI has no business supplying.
        private static bool IsValue(ITypeSymbol type)
        {
            type = Underlying(type) ?? type;
            if (type.TypeKind == TypeKind.Enum) return true;
            switch (type.SpecialType)
            {
                case SpecialType.System_Boolean:
                case SpecialType.System_Char:
                case SpecialType.System_SByte:
                case SpecialType.System_Byte:
                case SpecialType.System_Int16:
                case SpecialType.System_UInt16:
                case SpecialType.System_Int32:
                case SpecialType.System_UInt32:
                case SpecialType.System_Int64:
                case SpecialType.System_UInt64:
                case SpecialType.System_Decimal:
                case SpecialType.System_Single:
                case SpecialType.System_Double:
                case SpecialType.System_String:
                case SpecialType.System_IntPtr:
                case SpecialType.System_UIntPtr:
                case SpecialType.System_DateTime:
                    return true;
                default:
                    return false;
            }
        }

        // Where the argument comes from, or null for a default value that cannot be written back as C#.
        private static ParameterModel? ReadParameter(IParameterSymbol parameter)
        {
            var type = parameter.Type;
            if (IsType(type, "CancellationToken", "Threading", "System")) return new ParameterModel(ParameterKind.CancellationToken, string.Empty);
            if (IsType(type, "JobContext", "DistCron")) return new ParameterModel(ParameterKind.JobContext, string.Empty);
            if (IsType(type, "IServiceProvider", "System")) return new ParameterModel(ParameterKind.ServiceProvider, string.Empty);

            if (parameter.IsOptional)
            {
                // A reference type other than string can only default to null: ask DI, and take null when it has none.
                if (type.IsReferenceType && type.SpecialType != SpecialType.System_String)
                {
                    return new ParameterModel(ParameterKind.OptionalService, TypeName(type.WithNullableAnnotation(NullableAnnotation.NotAnnotated)));
                }

                return DefaultExpression(parameter) is { } expression ? new ParameterModel(ParameterKind.DefaultValue, expression) : null;
            }

            if (Underlying(type) is { } value)
            {
                // Without nullable annotations: it goes into typeof(), where they are an error.
                return new ParameterModel(ParameterKind.NullableValueService, EscapeContextualKeywords(value.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat)));
            }

            return type.IsReferenceType && type.NullableAnnotation == NullableAnnotation.Annotated
                ? new ParameterModel(ParameterKind.OptionalService, TypeName(type.WithNullableAnnotation(NullableAnnotation.NotAnnotated)))
                : new ParameterModel(ParameterKind.Service, TypeName(type));
        }

        // The declared default as a C# expression of the parameter's type: "(global::System.Int32)(3)".
        private static string? DefaultExpression(IParameterSymbol parameter)
        {
            if (!parameter.HasExplicitDefaultValue || parameter.ExplicitDefaultValue is null) return "default";
            var value = parameter.ExplicitDefaultValue;
            string? literal = value switch
            {
                double d when double.IsNaN(d) => "global::System.Double.NaN",
                double d when double.IsPositiveInfinity(d) => "global::System.Double.PositiveInfinity",
                double d when double.IsNegativeInfinity(d) => "global::System.Double.NegativeInfinity",
                float f when float.IsNaN(f) => "global::System.Single.NaN",
                float f when float.IsPositiveInfinity(f) => "global::System.Single.PositiveInfinity",
                float f when float.IsNegativeInfinity(f) => "global::System.Single.NegativeInfinity",
                float f => f.ToString("R", CultureInfo.InvariantCulture) + "F",
                double d => d.ToString("R", CultureInfo.InvariantCulture) + "D",
                decimal m => m.ToString(CultureInfo.InvariantCulture) + "M",
                bool or char or string or sbyte or byte or short or ushort or int or uint or long or ulong => SymbolDisplay.FormatPrimitive(value, quoteStrings: true, useHexadecimalNumbers: false),
                _ => null,
            };
            return literal is null ? null : "(" + TypeName(parameter.Type) + ")(" + literal + ")";
        }
    }
}
