using Microsoft.AspNetCore.Http;

namespace DistCron.Dashboard;

/// <summary>
/// The headers on every dashboard response. The policy allows only this origin's own files: no inline script or style
/// (the pages have none), no CDN, no framing, no plugin, forms post only here. An injected tag that got past
/// encoding would still not run.
/// </summary>
internal static class SecurityHeaders
{
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    public static void Apply(HttpResponse response)
    {
        var headers = response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "same-origin";
    }
}
