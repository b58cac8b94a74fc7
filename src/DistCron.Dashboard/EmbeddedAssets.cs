using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;

namespace DistCron.Dashboard;

/// <summary>
/// The stylesheet and script, embedded in this assembly (no CDN: the Content-Security-Policy allows only this origin).
/// Their links carry a hash of the content, so a browser may keep them for a year and still gets a new version at once.
/// </summary>
internal sealed class EmbeddedAssets
{
    private readonly Asset _css;
    private readonly Asset _js;

    public EmbeddedAssets()
    {
        _css = Load("dashboard.css", "text/css; charset=utf-8");
        _js = Load("dashboard.js", "text/javascript; charset=utf-8");
    }

    public string CssPath => "/assets/dashboard.css?v=" + _css.Version;

    public string JsPath => "/assets/dashboard.js?v=" + _js.Version;

    public Task WriteCssAsync(HttpContext http) => WriteAsync(http, _css);

    public Task WriteJsAsync(HttpContext http) => WriteAsync(http, _js);

    private static async Task WriteAsync(HttpContext http, Asset asset)
    {
        SecurityHeaders.Apply(http.Response);
        var etag = "\"" + asset.Version + "\"";
        http.Response.Headers.ETag = etag;
        http.Response.Headers.CacheControl = "private, max-age=31536000, immutable";
        if (http.Request.Headers.IfNoneMatch == etag)
        {
            http.Response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }

        http.Response.ContentType = asset.ContentType;
        http.Response.ContentLength = asset.Bytes.Length;
        await http.Response.Body.WriteAsync(asset.Bytes, http.RequestAborted).ConfigureAwait(false);
    }

    private static Asset Load(string name, string contentType)
    {
        var resource = "DistCron.Dashboard.Assets." + name;
        using var stream = typeof(EmbeddedAssets).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"The DistCron dashboard asset '{resource}' is missing from its assembly.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        var bytes = copy.ToArray();
        var version = Convert.ToHexString(SHA256.HashData(bytes), 0, 8).ToLowerInvariant();
        return new Asset(bytes, contentType, version);
    }

    private sealed record Asset(byte[] Bytes, string ContentType, string Version);
}
