using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using DistCron.Generators.Configuration;
using DistCron.Internal;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace DistCron.Generators
{
    /// <summary>
    /// Emits, per assembly, one file with the definitions of its <c>[DistributedCron]</c> jobs, one per attribute (a
    /// method may carry several), each both the job's registration and its crontab seed row, with a direct invoker
    /// (no reflection), and a module initializer
    /// that registers them together with the jobs of every referenced assembly that has some (so a job library is
    /// found even when the app never touches one of its types). An invalid usage gets no invoker (<see cref="DistCronAnalyzer"/> reports it, so the user sees one
    /// clear error, not a cascade) but a refused definition carrying that error: the runtime will not start with it,
    /// so a build without analyzers, or with the diagnostic suppressed, can never lose a declared job silently.
    /// </summary>
    [Generator(LanguageNames.CSharp)]
    public sealed class DistCronGenerator : IIncrementalGenerator
    {
        /// <summary>Tracking names of the pipeline steps (for incremental-cache tests).</summary>
        public static class Steps
        {
            /// <summary>Per annotated method, one model per <c>[DistributedCron]</c> attribute (an attribute the compiler reports as broken has none).</summary>
            public const string Jobs = "DistCron.Jobs";

            /// <summary>The compilation's assembly name, and whether it builds an executable.</summary>
            public const string AssemblyName = "DistCron.AssemblyName";

            /// <summary>The generated job classes of the referenced assemblies (fully qualified names).</summary>
            public const string ReferencedJobClasses = "DistCron.ReferencedJobClasses";

            /// <summary>All valid jobs of the assembly together, with the referenced job classes.</summary>
            public const string Assembly = "DistCron.Assembly";

            /// <summary>Per appsettings*.json additional file: its DistCron:Jobs entries, their values checked.</summary>
            public const string AppSettings = "DistCron.AppSettings";

            /// <summary>Per AddJob/AddJobs call: the job name it adds, when constant.</summary>
            public const string ProgrammaticJobs = "DistCron.ProgrammaticJobs";

            /// <summary>The job names the code declares, for the unknown-name check of the appsettings files.</summary>
            public const string DeclaredJobNames = "DistCron.DeclaredJobNames";
        }

        /// <inheritdoc/>
        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
            var jobs = context.SyntaxProvider
                .ForAttributeWithMetadataName(
                    JobParser.AttributeMetadataName,
                    // Every method-like node (local functions, lambdas, accessors too): each declared job either
                    // runs or is refused at start-up, none is dropped.
                    static (_, _) => true,
                    // One job per attribute: a method may carry several schedules, each its own named job.
                    static (syntax, cancellationToken) => syntax.TargetSymbol is IMethodSymbol method
                        ? JobParser.ParseAll(method, syntax.TargetNode, syntax.Attributes, cancellationToken)
                        : default)
                .WithTrackingName(Steps.Jobs);

            var assemblyName = context.CompilationProvider
                .Select(static (compilation, _) => (Name: compilation.AssemblyName ?? "Unnamed", IsExecutable: IsExecutable(compilation.Options.OutputKind)))
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

            // appsettings*.json (added as AdditionalFiles by the package's build targets): each file is read and its
            // values checked on its own, so an edit to code does not re-read it; only the declared names, a small
            // list, join it, and an edit to the file touches nothing of the attribute pipeline above.
            var appSettings = context.AdditionalTextsProvider
                .Where(static text => AppSettingsChecker.IsAppSettings(text.Path))
                .Select(static (text, cancellationToken) => AppSettingsChecker.Read(text.Path, text.GetText(cancellationToken)))
                .WithTrackingName(Steps.AppSettings);

            var programmatic = context.SyntaxProvider
                .CreateSyntaxProvider(static (node, _) => ProgrammaticJobs.IsCandidate(node), static (syntax, cancellationToken) => ProgrammaticJobs.Read(syntax, cancellationToken))
                .Where(static job => job != null)
                .WithTrackingName(Steps.ProgrammaticJobs);

            var declaredNames = jobs.Collect()
                .Combine(programmatic.Collect())
                .Combine(referenced)
                .Select(static (input, _) => DeclaredNames(input.Left.Left, input.Left.Right, input.Right))
                .WithTrackingName(Steps.DeclaredJobNames);

            context.RegisterSourceOutput(appSettings.Combine(declaredNames), static (output, input) => ReportAppSettings(output, input.Left, input.Right));

            // The module initializer needs C# 9; below, the generated file would be a cascade of CS errors.
            var languageVersion = context.ParseOptionsProvider
                .Select(static (options, _) => options is CSharpParseOptions csharp ? (int)csharp.LanguageVersion : int.MaxValue);

            context.RegisterSourceOutput(assembly.Combine(languageVersion), static (output, input) =>
            {
                var (model, languageVersion) = input;
                if (languageVersion < (int)LanguageVersion.CSharp9)
                {
                    if (model.Jobs.Count > 0)
                    {
                        output.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.LanguageVersionTooLow, Location.None,
                            ((LanguageVersion)languageVersion).ToDisplayString(), model.Jobs.Count, JobList(model.Jobs)));
                    }

                    return;
                }

                // An executable always gets its initializer: it registers the app itself, which tells the runtime
                // that the app was built with this generator (see DistCronJobRegistry: under Native AOT there is no
                // other way to find the jobs of the libraries it references).
                if (model.Jobs.Count > 0 || model.ReferencedJobClasses.Count > 0 || model.IsExecutable)
                {
                    output.AddSource(JobEmitter.HintName, JobEmitter.Emit(model));
                }
            });
        }

        // A referenced library's jobs, or one added in code under a computed name, cannot be named here: the list is
        // then incomplete and no override is reported as naming an unknown job.
        private static DeclaredJobNames DeclaredNames(ImmutableArray<EquatableArray<JobModel>> methods, ImmutableArray<ProgrammaticJob?> programmatic, EquatableArray<string> referencedJobClasses)
        {
            var names = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var jobs in methods)
            {
                foreach (var job in jobs) names.Add(job.Name);
            }

            var complete = referencedJobClasses.Count == 0;
            foreach (var job in programmatic)
            {
                if (job?.Name is { } name) names.Add(name);
                else complete = false;
            }

            var all = new string[names.Count];
            names.CopyTo(all);
            return new DeclaredJobNames(new EquatableArray<string>(all), complete);
        }

        private static void ReportAppSettings(SourceProductionContext output, AppSettingsFile file, DeclaredJobNames declared)
        {
            foreach (var problem in file.Problems)
            {
                output.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.ForConfiguration(problem.Id), problem.Place.ToLocation(file.Path),
                    PrintableText.Printable(problem.Key, int.MaxValue, keepLetters: true), PrintableText.Printable(problem.Problem, int.MaxValue, keepLetters: true)));
            }

            if (!declared.Complete) return;
            var names = new List<string>(declared.Names);
            foreach (var job in file.Jobs)
            {
                if (AppSettingsChecker.UnknownJob(job.Name, names) is { } unknown)
                {
                    output.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.UnknownConfiguredJob, job.Place.ToLocation(file.Path),
                        PrintableText.Printable(job.Key, int.MaxValue, keepLetters: true), unknown));
                }
            }
        }

        private static string JobList(EquatableArray<JobModel> jobs)
        {
            const int Shown = 3;
            var names = new List<string>();
            for (var i = 0; i < jobs.Count && i < Shown; i++) names.Add("\"" + jobs[i].Name + "\"");
            return string.Join(", ", names) + (jobs.Count > Shown ? $" and {jobs.Count - Shown} more" : string.Empty);
        }

        // Sorted by name (then declaring type and method) so the file does not depend on file or attribute order. Duplicated names
        // are all kept: DCRON0011 reports them at build time, and the runtime refuses to start with them.
        private static AssemblyJobsModel Combine((string Name, bool IsExecutable) assembly, ImmutableArray<EquatableArray<JobModel>> methods, EquatableArray<string> referencedJobClasses)
        {
            var all = new List<JobModel>(methods.Length);
            foreach (var jobs in methods)
            {
                foreach (var job in jobs) all.Add(job);
            }

            all.Sort(static (a, b) =>
            {
                var byName = string.CompareOrdinal(a.Name, b.Name);
                if (byName != 0) return byName;
                var byType = string.CompareOrdinal(a.DeclaringTypeDisplay, b.DeclaringTypeDisplay);
                if (byType != 0) return byType;
                var byMethod = string.CompareOrdinal(a.MethodName, b.MethodName);
                if (byMethod != 0) return byMethod;
                // Two attributes of one method with one name (DCRON0011): still one order whatever the attribute order.
                var bySchedule = string.CompareOrdinal(a.Schedule, b.Schedule);
                return bySchedule != 0 ? bySchedule : string.CompareOrdinal(a.DefinitionHash + a.BuildError, b.DefinitionHash + b.BuildError);
            });
            return new AssemblyJobsModel(assembly.Name, assembly.IsExecutable, new EquatableArray<JobModel>(all.ToArray()), referencedJobClasses);
        }

        private static bool IsExecutable(OutputKind kind) =>
            kind is OutputKind.ConsoleApplication or OutputKind.WindowsApplication or OutputKind.WindowsRuntimeApplication;

        // The generated job classes of the referenced assemblies, as fully qualified names. A class's name follows
        // from its assembly's name (JobEmitter.ClassName), so it is looked up by that name, not searched for: cheap on
        // every edit, only assemblies that reference DistCron are asked, and referenced assembly symbols are reused
        // across compilations.
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

                var jobs = assembly.GetTypeByMetadataName(JobEmitter.GeneratedNamespace + "." + JobEmitter.ClassName(assembly.Identity.Name));
                if (jobs != null && IsCallable(compilation, jobs))
                {
                    classes.Add(jobs.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat));
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
