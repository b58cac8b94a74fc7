using System;
using System.Collections.Generic;
using System.Threading;
using DistCron.Internal;
using Microsoft.CodeAnalysis;

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
        }

        public DiagnosticDescriptor Descriptor { get; }

        public ProblemSite Site { get; }

        /// <summary>For <see cref="ProblemSite.Parameter"/>: which parameter.</summary>
        public int ParameterIndex { get; }

        public object[] Arguments { get; }
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

        /// <summary>The job to generate, or null when any error was found: invalid usage gets no generated code.</summary>
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

            var typeDisplay = method.ContainingType?.ToDisplayString(DisplayFormat);
            var methodDisplay = typeDisplay is null ? method.Name : typeDisplay + "." + method.Name;
            var nameIsExplicit = explicitName != null;
            var name = explicitName ?? methodDisplay;
            var nameError = JobOptionText.NameError(name);
            if (nameError != null)
            {
                var fix = nameIsExplicit
                    ? $"use at most {JobOptionText.MaxNameLength} characters from A-Z, a-z, 0-9, '.', '_', ':' and '-'"
                    : $"the default name is Namespace.Type.Method; set Name explicitly to at most {JobOptionText.MaxNameLength} characters from A-Z, a-z, 0-9, '.', '_', ':' and '-'";
                problems.Add(new JobProblem(DiagnosticDescriptors.InvalidJobName, nameIsExplicit ? ProblemSite.Name : ProblemSite.Method, -1, name, nameError, fix));
            }

            cancellationToken.ThrowIfCancellationRequested();
            var parsed = ScheduleText.Parse(schedule, name);
            if (!parsed.Success)
            {
                problems.Add(new JobProblem(DiagnosticDescriptors.InvalidCronExpression, ProblemSite.Schedule, -1, schedule ?? string.Empty, parsed.Error ?? "it cannot be read",
                    parsed.Hint ?? "write 5 fields (minute hour day-of-month month day-of-week), 6 fields with seconds first, or a macro such as @hourly"));
            }
            else if (includeWarnings)
            {
                if (ScheduleText.NeverFires(parsed.Expression!))
                {
                    problems.Add(new JobProblem(DiagnosticDescriptors.ScheduleNeverFires, ProblemSite.Schedule, -1, schedule!));
                }

                if (ScheduleText.LooksLikeQuartzDayOfWeek(schedule))
                {
                    problems.Add(new JobProblem(DiagnosticDescriptors.QuartzDayOfWeek, ProblemSite.Schedule, -1, schedule!));
                }
            }

            var zone = timeZone ?? "UTC";
            if (includeWarnings && !TimeZoneIds.IsKnown(zone))
            {
                var suggestion = TimeZoneIds.SuggestionFor(zone);
                var fix = suggestion != null
                    ? $"did you mean \"{suggestion}\"? Ids are case-sensitive on Linux"
                    : "use an IANA id such as \"Europe/Paris\", a Windows id such as \"Romance Standard Time\", or omit TimeZone for UTC";
                problems.Add(new JobProblem(DiagnosticDescriptors.UnknownTimeZone, ProblemSite.TimeZone, -1, zone, fix));
            }

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
            foreach (var problem in problems)
            {
                if (problem.Descriptor.DefaultSeverity == DiagnosticSeverity.Error)
                {
                    return new JobParseOutcome(name, nameIsExplicit, null, problems);
                }
            }

            var hash = StableHash.DefinitionWithDurations(name, schedule!, zone, misfire, timeout, retryDelay, maxRetries);
            var model = new JobModel(
                name, schedule!, parsed.IncludeSeconds, zone, misfire, timeout?.Ticks, retryDelay?.Ticks, maxRetries, hash,
                shape!.Value.DeclaringTypeName, typeDisplay!, method.Name, method.IsStatic,
                shape.Value.Disposal, shape.Value.ReturnKind, shape.Value.Parameters);
            return new JobParseOutcome(name, nameIsExplicit, model, problems);
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

                var parameterType = parameter.Type;
                var kind = IsType(parameterType, "CancellationToken", "Threading", "System") ? ParameterKind.CancellationToken
                    : IsType(parameterType, "JobContext", "DistCron") ? ParameterKind.JobContext
                    : IsType(parameterType, "IServiceProvider", "System") ? ParameterKind.ServiceProvider
                    : ParameterKind.Service;
                // Only a service needs its name in the generated code; the others are passed as they come.
                parameters[i] = new ParameterModel(kind, kind == ParameterKind.Service ? parameterType.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat) : string.Empty);
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

            return new Shape(type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat), disposal, returnKind, new EquatableArray<ParameterModel>(parameters));
        }

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

            return null;
        }
    }
}
