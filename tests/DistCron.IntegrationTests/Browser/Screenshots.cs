using System.Runtime.CompilerServices;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace DistCron.Tests.Browser;

/// <summary>
/// Screenshots: every page test keeps a full-page PNG beside the test assembly (TestResults/screenshots) as an
/// artifact; the docs' images (docs/images) are rewritten only on request, never on CI.
/// </summary>
internal static class Screenshots
{
    public const string DocsVariable = "DISTCRON_WRITE_DOCS_SCREENSHOTS";

    public static string Folder => Path.Combine(AppContext.BaseDirectory, "TestResults", "screenshots");

    /// <summary>Whether this run rewrites docs/images: DISTCRON_WRITE_DOCS_SCREENSHOTS=1, and not under CI=true.</summary>
    public static bool WriteDocs =>
        Environment.GetEnvironmentVariable(DocsVariable) == "1" &&
        !string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public static async Task SaveAsync(IPage page, string name, ITestOutputHelper output)
    {
        Directory.CreateDirectory(Folder);
        var path = Path.Combine(Folder, name + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        output.WriteLine($"screenshot: {path}");
    }

    /// <summary>The viewport only (1280x800), so the images in the docs stay small.</summary>
    public static async Task SaveDocsAsync(IPage page, string name, ITestOutputHelper output)
    {
        var path = Path.Combine(RepositoryRoot(), "docs", "images", $"dashboard-{name}.png");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = false });
        output.WriteLine($"docs image: {path}");
    }

    /// <summary>One section of a page (its own box), for a docs image of a detail.</summary>
    public static async Task SaveDocsAsync(ILocator section, string name, ITestOutputHelper output)
    {
        var path = Path.Combine(RepositoryRoot(), "docs", "images", $"dashboard-{name}.png");
        await section.ScreenshotAsync(new LocatorScreenshotOptions { Path = path });
        output.WriteLine($"docs image: {path}");
    }

    private static string RepositoryRoot([CallerFilePath] string path = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, "..", "..", ".."));
}
