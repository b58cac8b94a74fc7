using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace DistCron.Dashboard.Api;

/// <summary>
/// <c>GET api/openapi.json</c>: the OpenAPI 3.0 document of the JSON API, written by hand in <c>Api/openapi.json</c> and
/// embedded in this assembly.
/// </summary>
/// <remarks>
/// Why by hand, not Microsoft.AspNetCore.OpenApi: on net8.0 that package only annotates endpoints (the document
/// generator arrived in 9.0), so one of the two targets would need a second mechanism; its generator infers schemas by
/// reflecting over handler signatures, and these handlers are plain <see cref="RequestDelegate"/>s that write the CLI's
/// documents themselves, so it would see no schema at all without a parallel set of annotations that could drift; and
/// it would add a package reference and a reflection-based generator to every app that mounts the dashboard, trimmed or
/// AOT-compiled ones included. The embedded file is the same bytes on both targets and is read as a JSON tree, with no
/// serializer metadata. OpenApiDocumentTests keeps it honest: every endpoint of the group is in it and nothing else,
/// and every response of a real host matches its schema, property for property.
/// </remarks>
internal static class OpenApiDocument
{
    public const string ResourceName = "DistCron.Dashboard.Api.openapi.json";

    private static readonly Lazy<JsonNode> Template = new(Load);

    /// <summary>The document with <c>servers[0].url</c> set to where this request reached the dashboard (path base and prefix).</summary>
    public static string For(string basePath)
    {
        var document = Template.Value.DeepClone();
        document["servers"]![0]!["url"] = basePath.Length == 0 ? "/" : basePath;
        return document.ToJsonString();
    }

    public static async Task ServeAsync(HttpContext http)
    {
        SecurityHeaders.Apply(http.Response);
        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.ContentType = "application/json; charset=utf-8";
        http.Response.Headers.CacheControl = "no-store";
        await http.Response.WriteAsync(For(DashboardRequest.BasePathOf(http)), Encoding.UTF8, http.RequestAborted).ConfigureAwait(false);
    }

    private static JsonNode Load()
    {
        using var stream = typeof(OpenApiDocument).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The DistCron dashboard assembly has no embedded resource '{ResourceName}'.");
        return JsonNode.Parse(stream) ?? throw new InvalidOperationException($"The embedded '{ResourceName}' is empty.");
    }
}
