using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace DistCron.Generators.Benchmarks;

/// <summary>
/// DistCron's pipeline cut short at a chosen stage, for --breakdown: each stage's cost is the difference between
/// two consecutive stages on a full run.
/// </summary>
internal sealed class ProbeGenerator(ProbeGenerator.Stage stage) : IIncrementalGenerator
{
    public enum Stage
    {
        /// <summary>
        /// What Roslyn must bind for any generator of this kind: the attribute's arguments, the method's parameter
        /// and return types (which JobParser reads); none of DistCron's own work.
        /// </summary>
        Signature,

        /// <summary>The models of the 1,000 jobs (binding + JobParser), collected; no output.</summary>
        Parse,

        /// <summary>Plus the referenced-assemblies scan and the assembly model.</summary>
        Model,

        /// <summary>Plus the emitted text, not added.</summary>
        Emit,

        /// <summary>Plus AddSource (Roslyn parses it): DistCronGenerator itself.</summary>
        AddSource,
    }

    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        if (stage == Stage.Signature)
        {
            var signatures = context.SyntaxProvider.ForAttributeWithMetadataName(
                JobParser.AttributeMetadataName,
                static (node, _) => node is MethodDeclarationSyntax,
                static (syntax, _) =>
                {
                    var method = (IMethodSymbol)syntax.TargetSymbol;
                    var count = syntax.Attributes[0].ConstructorArguments.Length + syntax.Attributes[0].NamedArguments.Length;
                    foreach (var parameter in method.Parameters) count += parameter.Type.Name.Length;
                    return count + method.ReturnType.Name.Length + (method.ReturnsVoid ? 1 : 0);
                });
            context.RegisterSourceOutput(signatures.Collect(), static (_, _) => { });
            return;
        }

        var jobs = context.SyntaxProvider.ForAttributeWithMetadataName(
            JobParser.AttributeMetadataName,
            static (node, _) => node is MethodDeclarationSyntax,
            static (syntax, cancellationToken) => JobParser.Parse((IMethodSymbol)syntax.TargetSymbol, syntax.Attributes[0], false, cancellationToken).Model);
        if (stage == Stage.Parse)
        {
            context.RegisterSourceOutput(jobs.Collect(), static (_, _) => { });
            return;
        }

        var referenced = context.CompilationProvider.Select(static (compilation, _) =>
            typeof(DistCronGenerator).GetMethod("FindReferencedJobClasses", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!
                .Invoke(null, new object[] { compilation, CancellationToken.None })!);
        var model = jobs.Collect().Combine(referenced).Select(static (input, _) =>
            new AssemblyJobsModel("Bench", false, new EquatableArray<JobModel>(input.Left.Where(j => j != null).OrderBy(j => j!.Name, StringComparer.Ordinal).ToArray()!),
                (EquatableArray<string>)input.Right));
        context.RegisterSourceOutput(model, (output, model) =>
        {
            if (stage == Stage.Model) return;
            var text = JobEmitter.Emit(model);
            if (stage == Stage.AddSource) output.AddSource(JobEmitter.HintName, text);
        });
    }
}
