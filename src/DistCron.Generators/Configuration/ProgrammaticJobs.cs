using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace DistCron.Generators.Configuration
{
    /// <summary>
    /// Calls that add jobs in code at start (<c>DistCronOptions.AddJob</c>, <c>AddJobs</c>): their names are jobs
    /// that configuration may override too.
    /// </summary>
    internal static class ProgrammaticJobs
    {
        public const string OptionsMetadataName = "DistCron.DistCronOptions";

        /// <summary>Cheap syntax test: a call of a method named AddJob or AddJobs.</summary>
        public static bool IsCandidate(SyntaxNode node) =>
            node is InvocationExpressionSyntax invocation && MethodName(invocation.Expression) is "AddJob" or "AddJobs";

        private static string? MethodName(ExpressionSyntax expression) => expression switch
        {
            MemberAccessExpressionSyntax member => member.Name.Identifier.ValueText,
            MemberBindingExpressionSyntax binding => binding.Name.Identifier.ValueText,
            IdentifierNameSyntax identifier => identifier.Identifier.ValueText,
            _ => null,
        };

        /// <summary>
        /// The call's DistCron method, if it is one: AddJob with its constant name (null when the name is computed),
        /// or AddJobs (no name: the definitions are built at start).
        /// </summary>
        public static ProgrammaticJob? Read(GeneratorSyntaxContext context, CancellationToken cancellationToken)
        {
            if (context.SemanticModel.GetOperation(context.Node, cancellationToken) is not IInvocationOperation call) return null;
            var method = call.TargetMethod;
            if (method.ContainingType?.ToDisplayString() != OptionsMetadataName) return null;
            if (method.Name == "AddJobs") return new ProgrammaticJob(null);
            foreach (var argument in call.Arguments)
            {
                if (argument.Parameter?.Name == "name")
                {
                    var value = argument.Value.ConstantValue;
                    return new ProgrammaticJob(value.HasValue ? value.Value as string : null);
                }
            }

            return new ProgrammaticJob(null);
        }
    }

    /// <summary>A job added in code; <see cref="Name"/> is null when it is not known at build time.</summary>
    internal sealed record ProgrammaticJob(string? Name);
}
