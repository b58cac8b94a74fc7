namespace DistCron.Tests.Docs;

/// <summary>Every C# snippet of README.md and docs/*.md compiles against the code as it is (see <see cref="DocSnippetCompiler"/>).</summary>
public sealed class DocSnippetTests
{
    public static TheoryData<string> CSharpBlocks()
    {
        var data = new TheoryData<string>();
        foreach (var block in MarkdownBlocks.All().Where(IsCSharp)) data.Add(block.ToString());
        return data;
    }

    [Theory]
    [MemberData(nameof(CSharpBlocks))]
    public void The_snippet_compiles(string where)
    {
        var block = MarkdownBlocks.All().Single(b => b.ToString() == where);
        if (block.Marker is { } marker && marker.StartsWith("csharp: no-compile", StringComparison.Ordinal))
        {
            Assert.True(marker.Length > "csharp: no-compile".Length + 3, $"{where}: a snippet that does not compile says why (csharp: no-compile REASON).");
            return;
        }

        Assert.True(block.Marker is null or "csharp: file" || block.Marker.StartsWith(DocSnippetCompiler.AssumeMarker, StringComparison.Ordinal),
            $"{where}: unknown marker '{block.Marker}'.");
        var errors = DocSnippetCompiler.Errors(block);
        Assert.True(errors.Count == 0, $"{where} does not compile:\n{string.Join("\n", errors)}\n--- snippet ---\n{block.Code}");
    }

    [Fact]
    public void The_compiler_rejects_a_snippet_that_is_wrong_and_points_at_its_line()
    {
        var wrong = new MarkdownBlock("docs/example.md", 40, "csharp", null, "using DistCron;\n\nservices.AddDistCron(o => o.NoSuchOption = 1);");
        var error = Assert.Single(DocSnippetCompiler.Errors(wrong));
        Assert.Contains("docs/example.md:42", error);
        Assert.Contains("NoSuchOption", error);

        var missingNamespace = new MarkdownBlock("docs/example.md", 1, "csharp", null, "var q = new HistoryQuery(Limit: 5);");
        Assert.Contains(DocSnippetCompiler.Errors(missingNamespace), e => e.Contains("HistoryQuery"));
    }

    private static bool IsCSharp(MarkdownBlock block) => block.Language is "csharp" or "cs" or "c#";
}
