using Microsoft.AspNetCore.Http;

namespace DistCron.Dashboard;

/// <summary>Where the dashboard is mounted: the route prefix, found from the endpoint's full route pattern.</summary>
internal sealed record DashboardRoot(string Prefix);

/// <summary>
/// One request to the dashboard: its client, options, the database's now, and the absolute base of every link
/// (the request's PathBase, then the route prefix), so pages work under UsePathBase and behind a proxy that sets it.
/// </summary>
internal sealed class DashboardRequest
{
    private DashboardRequest(HttpContext http, DashboardState state, string basePath, DateTimeOffset now)
    {
        Http = http;
        State = state;
        BasePath = basePath;
        Now = now;
    }

    public HttpContext Http { get; }

    public DashboardState State { get; }

    public IDistCronClient Client => State.Client;

    public DistCronDashboardOptions Options => State.Options;

    /// <summary>PathBase + prefix, without a trailing slash ("" at the root of an app).</summary>
    public string BasePath { get; }

    /// <summary>The database's now, read once per request: every age and state on the page is relative to it.</summary>
    public DateTimeOffset Now { get; }

    public static async Task<DashboardRequest> StartAsync(HttpContext http, DashboardState state)
    {
        var basePath = BasePathOf(http);
        SecurityHeaders.Apply(http.Response);
        var now = await state.Client.GetDatabaseTimeAsync(http.RequestAborted).ConfigureAwait(false);
        return new DashboardRequest(http, state, basePath, now);
    }

    /// <summary>The request's PathBase + the dashboard's route prefix, without a trailing slash.</summary>
    public static string BasePathOf(HttpContext http)
    {
        var root = http.GetEndpoint()?.Metadata.GetMetadata<DashboardRoot>()
            ?? throw new InvalidOperationException("The DistCron dashboard endpoint has no route metadata; map it with MapDistCronDashboard.");
        return (http.Request.PathBase.Add(new PathString(root.Prefix.Length == 0 ? null : root.Prefix)).Value ?? "").TrimEnd('/');
    }

    /// <summary>An absolute path under the dashboard: <paramref name="relative"/> starts with '/' or is empty.</summary>
    public string Link(string relative) => BasePath + relative;

    public string? Query(string name) => Http.Request.Query.TryGetValue(name, out var values) ? values.ToString() : null;
}
