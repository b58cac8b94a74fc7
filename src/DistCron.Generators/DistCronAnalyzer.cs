using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace DistCron.Generators
{
    /// <summary>
    /// Reports invalid <c>[DistributedCron]</c> usages at build time, on the exact span at fault: the string literal
    /// of a bad schedule, time zone, name or duration, and the method name (or parameter) for a bad method shape.
    /// It runs the same <see cref="JobParser"/> as the generator, and the same Cronos parsing as the runtime.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class DistCronAnalyzer : DiagnosticAnalyzer
    {
        /// <inheritdoc/>
        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(DiagnosticDescriptors.All);

        /// <inheritdoc/>
        public override void Initialize(AnalysisContext context)
        {
            // Generated files are analyzed too: the generator sees their [DistributedCron] methods, so a method it
            // skips there must still get its diagnostic.
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.Analyze | GeneratedCodeAnalysisFlags.ReportDiagnostics);
            context.EnableConcurrentExecution();
            context.RegisterCompilationStartAction(start =>
            {
                // Jobs added in code: their constant arguments are checked as an attribute's.
                if (start.Compilation.GetTypeByMetadataName(Configuration.ProgrammaticJobs.OptionsMetadataName) is { } optionsType)
                {
                    start.RegisterOperationAction(
                        operationContext => AddJobArguments.Analyze((IInvocationOperation)operationContext.Operation, optionsType, operationContext.ReportDiagnostic),
                        OperationKind.Invocation);
                }

                var attributeType = start.Compilation.GetTypeByMetadataName(JobParser.AttributeMetadataName);
                if (attributeType is null)
                {
                    return;
                }

                var names = new ConcurrentQueue<NamedJob>();
                start.RegisterSymbolAction(
                    symbolContext => Analyze((IMethodSymbol)symbolContext.Symbol, attributeType, symbolContext.ReportDiagnostic, names, symbolContext.CancellationToken),
                    SymbolKind.Method);

                // Local functions and lambdas are not symbols that symbol actions visit; they can never be jobs, but
                // an attribute on one must still be reported rather than silently ignored.
                start.RegisterSyntaxNodeAction(
                    nodeContext =>
                    {
                        var symbol = nodeContext.Node is LocalFunctionStatementSyntax
                            ? nodeContext.SemanticModel.GetDeclaredSymbol(nodeContext.Node, nodeContext.CancellationToken)
                            : nodeContext.SemanticModel.GetSymbolInfo(nodeContext.Node, nodeContext.CancellationToken).Symbol;
                        if (symbol is IMethodSymbol method)
                        {
                            Analyze(method, attributeType, nodeContext.ReportDiagnostic, null, nodeContext.CancellationToken);
                        }
                    },
                    SyntaxKind.LocalFunctionStatement, SyntaxKind.ParenthesizedLambdaExpression, SyntaxKind.SimpleLambdaExpression);

                start.RegisterCompilationEndAction(end => ReportDuplicates(names, end.ReportDiagnostic));
            });
        }

        private static void Analyze(IMethodSymbol method, INamedTypeSymbol attributeType, Action<Diagnostic> report, ConcurrentQueue<NamedJob>? names, CancellationToken cancellationToken)
        {
            // A partial method is one job: its implementation part sees the definition's attributes too, so only the
            // definition part is analyzed (as the generator sees only the part that carries the attribute).
            if (method.PartialDefinitionPart != null)
            {
                return;
            }

            foreach (var attribute in method.GetAttributes())
            {
                if (!SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, attributeType))
                {
                    continue;
                }

                var outcome = JobParser.Parse(method, attribute, includeWarnings: true, cancellationToken);
                var syntax = attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax;
                foreach (var problem in outcome.Problems)
                {
                    report(problem.ToDiagnostic(LocationOf(problem.Site, problem.ParameterIndex, method, syntax), syntax?.GetLocation()));
                }

                if (names != null && outcome.Name != null && JobNameIsValid(outcome))
                {
                    var where = outcome.NameIsExplicit ? LocationOf(ProblemSite.Name, -1, method, syntax) : LocationOf(ProblemSite.Method, -1, method, syntax);
                    names.Enqueue(new NamedJob(outcome.Name, where, method.ContainingType?.Name + "." + method.Name));
                }
            }
        }

        // A name that is invalid, or missing where one is required (DCRON0020), already has its error: a duplicate
        // report on top would only repeat it.
        private static bool JobNameIsValid(JobParseOutcome outcome) =>
            outcome.Problems.All(p => p.Descriptor.Id != DiagnosticDescriptors.InvalidJobName.Id && p.Descriptor.Id != DiagnosticDescriptors.NameRequiredForSeveralSchedules.Id);

        private static void ReportDuplicates(ConcurrentQueue<NamedJob> names, Action<Diagnostic> report)
        {
            foreach (var group in names.GroupBy(n => n.Name, StringComparer.Ordinal))
            {
                var jobs = group.OrderBy(n => n.Location.SourceTree?.FilePath, StringComparer.Ordinal).ThenBy(n => n.Location.SourceSpan.Start).ToList();
                if (jobs.Count < 2)
                {
                    continue;
                }

                // Several attributes of one method with one name are listed once, with their count.
                var methods = string.Join(", ", jobs.GroupBy(j => j.Method, StringComparer.Ordinal)
                    .Select(m => m.Count() == 1 ? m.Key : $"{m.Key} ({m.Count()} attributes)"));
                foreach (var job in jobs)
                {
                    report(new JobProblem(DiagnosticDescriptors.DuplicateJobName, ProblemSite.Name, -1, job.Name, jobs.Count, methods).ToDiagnostic(job.Location, null));
                }
            }
        }

        private static Location LocationOf(ProblemSite site, int parameterIndex, IMethodSymbol method, AttributeSyntax? attribute)
        {
            var methodLocation = method.Locations.FirstOrDefault() ?? Location.None;
            switch (site)
            {
                case ProblemSite.Method:
                    return methodLocation;
                case ProblemSite.Attribute:
                    return attribute?.GetLocation() ?? methodLocation;
                case ProblemSite.Parameter:
                    return parameterIndex >= 0 && parameterIndex < method.Parameters.Length
                        ? method.Parameters[parameterIndex].Locations.FirstOrDefault() ?? methodLocation
                        : methodLocation;
            }

            var arguments = attribute?.ArgumentList?.Arguments ?? default;
            foreach (var argument in arguments)
            {
                var matches = site == ProblemSite.Schedule
                    ? argument.NameEquals is null && (argument.NameColon is null || argument.NameColon.Name.Identifier.ValueText == "schedule")
                    : argument.NameEquals?.Name.Identifier.ValueText == site.ToString();
                if (matches)
                {
                    return argument.Expression.GetLocation();
                }
            }

            return attribute?.GetLocation() ?? methodLocation;
        }

        private sealed class NamedJob
        {
            public NamedJob(string name, Location location, string method)
            {
                Name = name;
                Location = location;
                Method = method;
            }

            public string Name { get; }

            public Location Location { get; }

            public string Method { get; }
        }
    }
}
