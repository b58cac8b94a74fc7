using System.Text.RegularExpressions;

namespace DistCron.Tests.Docs;

/// <summary>A fenced code block of a Markdown file, with the marker comment (if any) on the line before its fence.</summary>
public sealed record MarkdownBlock(string File, int Line, string Language, string? Marker, string Code)
{
    public override string ToString() => $"{File}:{Line}";
}

/// <summary>
/// Reads the documentation this repository ships (README.md and docs/*.md; the analyzer pages under docs/diagnostics
/// show code that must fail to build and are tested by the generator's tests) and its fenced code blocks.
/// </summary>
public static partial class MarkdownBlocks
{
    public static string RepositoryRoot { get; } = FindRoot();

    public static IEnumerable<string> DocumentFiles() =>
        new[] { Path.Combine(RepositoryRoot, "README.md") }
            .Concat(Directory.GetFiles(Path.Combine(RepositoryRoot, "docs"), "*.md").Order(StringComparer.Ordinal));

    public static IReadOnlyList<MarkdownBlock> All() => DocumentFiles().SelectMany(Read).ToList();

    public static IEnumerable<MarkdownBlock> Read(string path)
    {
        var lines = File.ReadAllLines(path);
        var relative = Path.GetRelativePath(RepositoryRoot, path).Replace('\\', '/');
        for (var i = 0; i < lines.Length; i++)
        {
            var open = Fence().Match(lines[i]);
            if (!open.Success) continue;
            var indent = open.Groups["indent"].Value.Length;
            var language = open.Groups["lang"].Value.Trim();
            var marker = MarkerBefore(lines, i);
            var body = new List<string>();
            var start = i + 1;
            for (i++; i < lines.Length && !IsClosingFence(lines[i]); i++)
            {
                body.Add(lines[i].Length >= indent && string.IsNullOrWhiteSpace(lines[i][..indent]) ? lines[i][indent..] : lines[i].TrimStart());
            }

            yield return new MarkdownBlock(relative, start + 1, language, marker, string.Join("\n", body));
        }
    }

    private static bool IsClosingFence(string line) => line.Trim() == "```";

    private static string? MarkerBefore(string[] lines, int fence)
    {
        for (var j = fence - 1; j >= 0; j--)
        {
            if (string.IsNullOrWhiteSpace(lines[j])) continue;
            var marker = Marker().Match(lines[j]);
            return marker.Success ? marker.Groups["text"].Value.Trim() : null;
        }

        return null;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DistCron.sln"))) return dir.FullName;
        }

        throw new InvalidOperationException($"DistCron.sln not found above {AppContext.BaseDirectory}.");
    }

    [GeneratedRegex(@"^(?<indent>\s*)```(?<lang>[A-Za-z0-9+#-]*)\s*$")]
    private static partial Regex Fence();

    [GeneratedRegex(@"^\s*<!--\s*(?<text>(csharp|sql):.*?)\s*-->\s*$")]
    private static partial Regex Marker();
}
