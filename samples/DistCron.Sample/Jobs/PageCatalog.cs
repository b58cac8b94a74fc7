namespace DistCron.Sample.Jobs;

/// <summary>The site's pages: a stand-in for the CMS or database a real site would query.</summary>
public sealed class PageCatalog
{
    private static readonly string[] Sections = ["blog", "docs", "products", "careers"];

    /// <summary>Pages change over time, so each sitemap differs a little from the previous one.</summary>
    public IReadOnlyList<(string Path, DateTimeOffset Modified)> PublishedPages(DateTimeOffset asOf)
    {
        var count = 20 + (int)(asOf.ToUnixTimeSeconds() / 10 % 7);
        return Enumerable.Range(1, count)
            .Select(i => ($"/{Sections[i % Sections.Length]}/page-{i}", asOf.AddMinutes(-i * 17)))
            .ToList();
    }
}
