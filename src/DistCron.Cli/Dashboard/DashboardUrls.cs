using System.Net;

namespace DistCron.Cli.Dashboard;

/// <summary>
/// The addresses <c>distcron dashboard</c> listens on. The standalone dashboard has no authentication of its own, so it
/// listens on loopback only unless <c>--allow-remote</c> says otherwise: anyone who can reach it reads every job, run
/// error and node. A pure rule over the text of <c>--urls</c>, checked before anything is opened.
/// </summary>
internal static class DashboardUrls
{
    public const string Default = "http://127.0.0.1:5080";

    /// <summary>
    /// The URLs of <paramref name="urls"/> (';'-separated, as ASP.NET Core's <c>--urls</c>), each http with a host and a
    /// port and no path. Throws <see cref="UsageException"/> naming the fix for anything else, and for a host that is not
    /// loopback unless <paramref name="allowRemote"/>.
    /// </summary>
    public static IReadOnlyList<Uri> Parse(string urls, bool allowRemote)
    {
        var parts = urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0) throw new UsageException($"--urls needs at least one URL, such as {Default}.");
        var parsed = new List<Uri>();
        foreach (var part in parts)
        {
            var uri = ParseOne(part);
            if (!allowRemote && !IsLoopback(uri.Host))
            {
                throw new UsageException(
                    $"--urls {Secrets.Shown(part)} would serve the dashboard beyond this machine, and the standalone dashboard has no " +
                    "authentication: anyone who reaches it reads every job, run error and node. Keep it on loopback (" + Default + ") " +
                    "and put a reverse proxy that authenticates in front of it (see docs/dashboard.md), or pass --allow-remote to " +
                    "listen there anyway (behind a firewall or proxy you control).");
            }

            parsed.Add(uri);
        }

        return parsed;
    }

    /// <summary>True for "localhost" and loopback IP literals (127.0.0.0/8, ::1); false for wildcards and other hosts.</summary>
    public static bool IsLoopback(string host)
    {
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)) return true;
        return IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address);
    }

    private static Uri ParseOne(string text)
    {
        // ASP.NET Core's wildcards: http://*:80 and http://+:80 listen on every interface.
        var normalized = text.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal);
        if (!Uri.TryCreate(normalized, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || string.IsNullOrEmpty(uri.Host))
        {
            throw new UsageException($"--urls takes URLs such as {Default} (got '{Secrets.Shown(text)}').");
        }

        if (uri.Scheme == "https")
        {
            throw new UsageException(
                $"--urls {Secrets.Shown(text)}: the standalone dashboard serves plain http on loopback; terminate TLS (and authenticate) in a " +
                "reverse proxy in front of it (see docs/dashboard.md).");
        }

        if (uri.AbsolutePath != "/" || uri.Query.Length > 0 || !string.IsNullOrEmpty(uri.UserInfo))
        {
            throw new UsageException($"--urls takes a scheme, host and port only, such as {Default} (got '{Secrets.Shown(text)}'); mount it under a path with --path-base.");
        }

        return uri;
    }
}
