using Microsoft.CodeAnalysis.Text;

namespace DistCron.Generators.Tests.Infrastructure;

/// <summary>Source text with the expected diagnostic span marked as <c>[|...|]</c>.</summary>
internal sealed record Markup(string Source, TextSpan Span)
{
    public static Markup Parse(string markup)
    {
        var start = markup.IndexOf("[|", StringComparison.Ordinal);
        var end = markup.IndexOf("|]", StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, "markup needs exactly one [|...|] span");
        var source = markup.Remove(end, 2).Remove(start, 2);
        return new Markup(source, TextSpan.FromBounds(start, end - 2));
    }
}
