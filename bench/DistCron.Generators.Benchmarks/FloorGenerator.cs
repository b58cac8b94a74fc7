using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace DistCron.Generators.Benchmarks;

/// <summary>
/// A generator that finds the same attributes the same way and does nothing with them: the cost of
/// ForAttributeWithMetadataName itself, to set DistCron's figures against.
/// </summary>
public sealed class FloorGenerator : IIncrementalGenerator
{
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var names = context.SyntaxProvider.ForAttributeWithMetadataName(
            "DistCron.DistributedCronAttribute",
            static (node, _) => node is MethodDeclarationSyntax,
            static (syntax, _) => syntax.TargetSymbol.Name);
        context.RegisterSourceOutput(names.Collect(), static (_, _) => { });
    }
}
