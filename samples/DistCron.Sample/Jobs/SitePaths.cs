namespace DistCron.Sample.Jobs;

/// <summary>Where the sample site lives on disk: everything under <c>./.distcron/</c> (git-ignored).</summary>
public sealed class SitePaths
{
    public SitePaths(string root)
    {
        Root = Path.GetFullPath(root);
        Public = Path.Combine(Root, "site");
        Temp = Path.Combine(Root, "tmp");
        Reports = Path.Combine(Root, "reports");
        foreach (var folder in new[] { Public, Temp, Reports }) Directory.CreateDirectory(folder);
    }

    public string Root { get; }

    /// <summary>The web root: the sitemap is published here.</summary>
    public string Public { get; }

    /// <summary>Scratch files (render logs, partial uploads) that the cleanup job removes once they are old.</summary>
    public string Temp { get; }

    /// <summary>Generated reports.</summary>
    public string Reports { get; }
}
