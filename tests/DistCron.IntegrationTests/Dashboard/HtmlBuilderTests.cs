using DistCron.Dashboard.Html;

namespace DistCron.Tests.Dashboard;

/// <summary>The page writer: literals are markup, every hole is encoded, whatever its type.</summary>
public sealed class HtmlBuilderTests
{
    [Theory]
    [InlineData("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;")]
    [InlineData("\" onmouseover=\"alert(1)", "&quot; onmouseover=&quot;alert(1)")]
    [InlineData("' onfocus='x", "&#39; onfocus=&#39;x")]
    [InlineData("a & b", "a &amp; b")]
    [InlineData("2026-03-29 03:00:00 +02:00", "2026-03-29 03:00:00 +02:00")]
    [InlineData("Zürich 東京", "Z&#252;rich 東京")]
    [InlineData("", "")]
    public void A_string_hole_is_encoded_in_text_and_in_a_quoted_attribute(string value, string encoded)
    {
        var h = new HtmlBuilder();
        h.Add($"""<a title="{value}">{value}</a>""");
        Assert.Equal($"""<a title="{encoded}">{encoded}</a>""", h.ToString());
    }

    [Fact]
    public void Holes_of_other_types_are_formatted_invariantly_then_encoded()
    {
        var h = new HtmlBuilder();
        string? missing = null;
        h.Add($"<p>{1.5}|{12345678L}|{missing}|{new Markup()}</p>");
        Assert.Equal("<p>1.5|12345678||&lt;b&gt;bold&lt;/b&gt;</p>", h.ToString());
    }

    private sealed class Markup
    {
        public override string ToString() => "<b>bold</b>";
    }
}
