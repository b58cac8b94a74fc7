using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using DistCron.Generators;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace DistCron.CodeFixes
{
    /// <summary>
    /// Fixes for DistCron diagnostics that carry fix data in their Properties (keys in <see cref="FixProperties"/>):
    /// a time zone's right spelling (DCRON0003) or UTC for an empty one (DCRON0018); a schedule without its year field
    /// or with its seconds field dropped or moved to the front, or with '?' replaced by '*' (DCRON0001); day names for
    /// Quartz day-of-week numbers, in either numbering (DCRON0015); and a valid Name for a method whose default name
    /// is invalid (DCRON0012). The analyzer computed and checked every replacement with the shared rules.
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(DistCronCodeFixProvider))]
    [Shared]
    public sealed class DistCronCodeFixProvider : CodeFixProvider
    {
        /// <inheritdoc/>
        public override ImmutableArray<string> FixableDiagnosticIds { get; } =
            ImmutableArray.Create("DCRON0001", "DCRON0003", "DCRON0012", "DCRON0015", "DCRON0018");

        /// <inheritdoc/>
        public override FixAllProvider? GetFixAllProvider() => null;

        /// <inheritdoc/>
        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
            if (root is null) return;
            foreach (var diagnostic in context.Diagnostics)
            {
                RegisterReplacements(context, root, diagnostic);
                RegisterAddName(context, root, diagnostic);
            }
        }

        private static void RegisterReplacements(CodeFixContext context, SyntaxNode root, Diagnostic diagnostic)
        {
            // Only a string literal is rewritten: a constant or an expression is the user's to change.
            if (root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not LiteralExpressionSyntax literal
                || !literal.IsKind(SyntaxKind.StringLiteralExpression))
            {
                return;
            }

            for (var i = 0; ; i++)
            {
                var index = i.ToString(CultureInfo.InvariantCulture);
                if (!diagnostic.Properties.TryGetValue(FixProperties.ReplacePrefix + index, out var replacement) || replacement is null) break;
                diagnostic.Properties.TryGetValue(FixProperties.TitlePrefix + index, out var title);
                var newLiteral = SyntaxFactory.LiteralExpression(SyntaxKind.StringLiteralExpression, SyntaxFactory.Literal(replacement))
                    .WithTriviaFrom(literal);
                context.RegisterCodeFix(
                    CodeAction.Create(
                        title ?? $"Write \"{replacement}\"",
                        _ => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(literal, newLiteral))),
                        equivalenceKey: diagnostic.Id + ":" + (title ?? replacement)),
                    diagnostic);
            }
        }

        private static void RegisterAddName(CodeFixContext context, SyntaxNode root, Diagnostic diagnostic)
        {
            if (!diagnostic.Properties.TryGetValue(FixProperties.AddName, out var name) || name is null || diagnostic.AdditionalLocations.Count == 0) return;
            if (root.FindNode(diagnostic.AdditionalLocations[0].SourceSpan) is not AttributeSyntax attribute) return;
            context.RegisterCodeFix(
                CodeAction.Create(
                    $"Set Name = \"{name}\"",
                    _ => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(attribute, WithName(attribute, name)))),
                    equivalenceKey: diagnostic.Id + ":AddName"),
                diagnostic);
        }

        private static AttributeSyntax WithName(AttributeSyntax attribute, string name)
        {
            var argument = SyntaxFactory.AttributeArgument(
                SyntaxFactory.NameEquals(SyntaxFactory.IdentifierName("Name")),
                null,
                SyntaxFactory.LiteralExpression(SyntaxKind.StringLiteralExpression, SyntaxFactory.Literal(name)));
            var list = attribute.ArgumentList ?? SyntaxFactory.AttributeArgumentList();
            return attribute.WithArgumentList(list.AddArguments(argument));
        }
    }
}
