using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace DistCron.Generators
{
    /// <summary>
    /// Emits, per assembly, one file with the definitions of its <c>[DistributedCron]</c> methods (direct invokers,
    /// no reflection), their crontab seed rows and a module initializer that registers them. Invalid usages get no
    /// code: <see cref="DistCronAnalyzer"/> reports them, so the user sees one clear error, not a cascade.
    /// </summary>
    [Generator(LanguageNames.CSharp)]
    public sealed class DistCronGenerator : IIncrementalGenerator
    {
        /// <summary>Tracking names of the pipeline steps (for incremental-cache tests).</summary>
        public static class Steps
        {
            /// <summary>One model per annotated method (null when invalid).</summary>
            public const string Jobs = "DistCron.Jobs";

            /// <summary>The compilation's assembly name.</summary>
            public const string AssemblyName = "DistCron.AssemblyName";

            /// <summary>All valid jobs of the assembly together.</summary>
            public const string Assembly = "DistCron.Assembly";
        }

        /// <inheritdoc/>
        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
            var jobs = context.SyntaxProvider
                .ForAttributeWithMetadataName(
                    JobParser.AttributeMetadataName,
                    static (node, _) => node is MethodDeclarationSyntax,
                    static (syntax, cancellationToken) => syntax.TargetSymbol is IMethodSymbol method && syntax.Attributes.Length == 1
                        ? JobParser.Parse(method, syntax.Attributes[0], includeWarnings: false, cancellationToken).Model
                        : null)
                .WithTrackingName(Steps.Jobs);

            var assemblyName = context.CompilationProvider
                .Select(static (compilation, _) => compilation.AssemblyName ?? "Unnamed")
                .WithTrackingName(Steps.AssemblyName);

            var assembly = jobs.Collect()
                .Combine(assemblyName)
                .Select(static (input, _) => Combine(input.Right, input.Left))
                .WithTrackingName(Steps.Assembly);

            context.RegisterSourceOutput(assembly, static (output, model) =>
            {
                if (model.Jobs.Count > 0)
                {
                    output.AddSource(JobEmitter.HintName, JobEmitter.Emit(model));
                }
            });
        }

        // Sorted by name so the file does not depend on file order; duplicated names are left out entirely
        // (DCRON0011 reports every one of them) because the runtime would refuse them anyway.
        private static AssemblyJobsModel Combine(string assemblyName, ImmutableArray<JobModel?> jobs)
        {
            var counts = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var job in jobs)
            {
                if (job is null) continue;
                counts.TryGetValue(job.Name, out var count);
                counts[job.Name] = count + 1;
            }

            var unique = new List<JobModel>(jobs.Length);
            foreach (var job in jobs)
            {
                if (job is not null && counts[job.Name] == 1) unique.Add(job);
            }

            unique.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
            return new AssemblyJobsModel(assemblyName, new EquatableArray<JobModel>(unique.ToArray()));
        }
    }
}
