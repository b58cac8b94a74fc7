using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace DistCron.Generators
{
    /// <summary>
    /// Emits, per assembly, one file with the definitions of its <c>[DistributedCron]</c> methods (direct invokers,
    /// no reflection), their crontab seed rows and a module initializer that registers them together with the jobs
    /// of every referenced assembly that has some (so a job library is found even when the app never touches one of
    /// its types). Invalid usages get no code: <see cref="DistCronAnalyzer"/> reports them, so the user sees one
    /// clear error, not a cascade.
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

            /// <summary>The generated job classes of the referenced assemblies (fully qualified names).</summary>
            public const string ReferencedJobClasses = "DistCron.ReferencedJobClasses";

            /// <summary>All valid jobs of the assembly together, with the referenced job classes.</summary>
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

            // Reduced to names at once: the compilation changes on every edit, the list of referenced job classes
            // only when the references do, so everything downstream stays cached.
            var referenced = context.CompilationProvider
                .Select(static (compilation, cancellationToken) => FindReferencedJobClasses(compilation, cancellationToken))
                .WithTrackingName(Steps.ReferencedJobClasses);

            var assembly = jobs.Collect()
                .Combine(assemblyName)
                .Combine(referenced)
                .Select(static (input, _) => Combine(input.Left.Right, input.Left.Left, input.Right))
                .WithTrackingName(Steps.Assembly);

            context.RegisterSourceOutput(assembly, static (output, model) =>
            {
                if (model.Jobs.Count > 0 || model.ReferencedJobClasses.Count > 0)
                {
                    output.AddSource(JobEmitter.HintName, JobEmitter.Emit(model));
                }
            });
        }

        // Sorted by name so the file does not depend on file order; duplicated names are left out entirely
        // (DCRON0011 reports every one of them) because the runtime would refuse them anyway.
        private static AssemblyJobsModel Combine(string assemblyName, ImmutableArray<JobModel?> jobs, EquatableArray<string> referencedJobClasses)
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
            return new AssemblyJobsModel(assemblyName, new EquatableArray<JobModel>(unique.ToArray()), referencedJobClasses);
        }

        // The referenced assemblies marked [assembly: DistCronJobAssembly(typeof(X))] by this generator, as the fully
        // qualified names of their X classes. Cheap on every edit: only assemblies that reference DistCron are
        // inspected, and referenced assembly symbols (with their attributes) are reused across compilations.
        private static EquatableArray<string> FindReferencedJobClasses(Compilation compilation, CancellationToken cancellationToken)
        {
            var classes = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var reference in compilation.References)
            {
                cancellationToken.ThrowIfCancellationRequested();

                // An assembly reachable only through an extern alias cannot be named with global::; the runtime
                // walk of DistCronJobRegistry still finds it once the app uses it.
                var aliases = reference.Properties.Aliases;
                if (!aliases.IsDefaultOrEmpty && !aliases.Contains("global")) continue;
                if (compilation.GetAssemblyOrModuleSymbol(reference) is not IAssemblySymbol assembly || !ReferencesDistCron(assembly)) continue;

                foreach (var attribute in assembly.GetAttributes())
                {
                    if (attribute.AttributeClass is { Name: JobEmitter.MarkerAttributeName } marker
                        && marker.ToDisplayString() == JobEmitter.MarkerAttributeMetadataName
                        && attribute.ConstructorArguments.Length == 1
                        && attribute.ConstructorArguments[0].Value is INamedTypeSymbol jobs
                        && SymbolEqualityComparer.Default.Equals(jobs.ContainingAssembly, assembly)
                        && IsCallable(compilation, jobs))
                    {
                        classes.Add(jobs.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat));
                    }
                }
            }

            var names = new string[classes.Count];
            classes.CopyTo(names);
            return new EquatableArray<string>(names);
        }

        private static bool ReferencesDistCron(IAssemblySymbol assembly)
        {
            foreach (var module in assembly.Modules)
            {
                foreach (var identity in module.ReferencedAssemblies)
                {
                    if (identity.Name == "DistCron") return true;
                }
            }

            return false;
        }

        // The generated module initializer calls X.Register(): only name a class the consumer can call it on.
        private static bool IsCallable(Compilation compilation, INamedTypeSymbol jobs)
        {
            if (!compilation.IsSymbolAccessibleWithin(jobs, compilation.Assembly)) return false;
            foreach (var member in jobs.GetMembers(JobEmitter.RegisterMethodName))
            {
                if (member is IMethodSymbol { IsStatic: true, Parameters.Length: 0, DeclaredAccessibility: Accessibility.Public }) return true;
            }

            return false;
        }
    }
}
