using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace DistCron.Generators.Benchmarks;

/// <summary>
/// A generator that finds the same attributes the same way and does nothing with them: the cost of
/// ForAttributeWithMetadataName itself, to set DistCron's figures against. Given a text, it adds that text as its
/// output (the breakdown uses it to time Roslyn parsing a generated file without DistCron's own work).
/// </summary>
public sealed class FloorGenerator(string? output = null) : IIncrementalGenerator
{
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var names = context.SyntaxProvider.ForAttributeWithMetadataName(
            "DistCron.DistributedCronAttribute",
            static (node, _) => node is MethodDeclarationSyntax,
            static (syntax, _) => syntax.TargetSymbol.Name);
        context.RegisterSourceOutput(names.Collect(), (context, _) =>
        {
            if (output != null) context.AddSource("Floor.g.cs", output);
        });
    }
}
