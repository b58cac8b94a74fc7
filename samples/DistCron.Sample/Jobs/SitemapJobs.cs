using System.Xml.Linq;

namespace DistCron.Sample.Jobs;

/// <summary>Regenerates <c>sitemap.xml</c> so search engines see new pages soon after they are published.</summary>
public sealed class SitemapJobs(PageCatalog catalog, SitePaths paths)
{
    private static readonly XNamespace Ns = "http://www.sitemaps.org/schemas/sitemap/0.9";

    // Every 10 seconds for the demo; a real site would use something like "H/15 * * * *".
    [DistributedCron("*/10 * * * * *", Name = "sitemap.regenerate", Timeout = "00:00:30")]
    public async Task RegenerateAsync(JobContext context, CancellationToken cancellationToken)
    {
        var pages = catalog.PublishedPages(context.ScheduledFor);
        var document = new XDocument(new XElement(Ns + "urlset",
            pages.Select(p => new XElement(Ns + "url",
                new XElement(Ns + "loc", "https://example.com" + p.Path),
                new XElement(Ns + "lastmod", p.Modified.UtcDateTime.ToString("yyyy-MM-dd"))))));

        // Write aside, then swap in: a crawler never reads a half-written sitemap. The scratch file name carries the
        // fencing token, so two writers (impossible here, but cheap to rule out) never share one.
        var scratch = Path.Combine(paths.Temp, $"sitemap-{context.FencingToken}-{Environment.ProcessId}.xml");
        await using (var stream = File.Create(scratch))
        {
            await document.SaveAsync(stream, SaveOptions.None, cancellationToken);
        }

        File.Move(scratch, Path.Combine(paths.Public, "sitemap.xml"), overwrite: true);
        await File.WriteAllTextAsync(Path.Combine(paths.Temp, $"render-{context.ScheduledFor.ToUnixTimeSeconds()}.log"),
            $"{pages.Count} urls by {context.NodeId}\n", cancellationToken);
        RunLog.Ran(context, $"sitemap.xml with {pages.Count} urls");
    }
}
