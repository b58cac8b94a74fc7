using DistCron;
using DistCron.Dashboard;
using DistCron.Dashboard.Api;
using DistCron.Dashboard.Live;
using DistCron.Dashboard.Pages;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Mounts the DistCron dashboard and its HTTP API into an ASP.NET Core app.</summary>
public static class DashboardEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps the dashboard (overview, jobs, job detail, nodes, audit), its JSON API (<c>api/jobs</c>,
    /// <c>api/jobs/{name}</c>, <c>api/jobs/{name}/history</c>, <c>api/nodes</c>, <c>api/audit</c>: the CLI's <c>--json</c>
    /// documents; <c>api/stats</c> and <c>api/jobs/{name}/stats</c>: run statistics in the same envelope;
    /// <c>POST api/jobs/{name}/trigger|pause|resume</c> when <see cref="DistCronDashboardOptions.ActionsPolicy"/>
    /// is set; their OpenAPI document at <c>api/openapi.json</c>) and
    /// its live event stream under <paramref name="prefix"/>, over the app's <see cref="IDistCronClient"/> (registered
    /// by <c>AddDistCron</c>). Returns the route group: compose ASP.NET Core conventions on it, above all
    /// <c>.RequireAuthorization("policy")</c>. Outside Development, start-up fails unless the dashboard requires
    /// authorization or the app allows anonymous access explicitly with <c>.AllowAnonymous()</c>.
    /// </summary>
    public static RouteGroupBuilder MapDistCronDashboard(this IEndpointRouteBuilder endpoints, string prefix = "/distcron", Action<DistCronDashboardOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(prefix);
        if (prefix.Contains('{', StringComparison.Ordinal))
        {
            throw new ArgumentException($"The dashboard's prefix '{prefix}' has a route parameter; use a fixed path such as \"/distcron\".", nameof(prefix));
        }

        var options = new DistCronDashboardOptions();
        configure?.Invoke(options);
        options.Validate();
        var services = endpoints.ServiceProvider;
        var client = services.GetService<IDistCronClient>() ?? throw new InvalidOperationException(
            "MapDistCronDashboard needs an IDistCronClient in the container: call services.AddDistCron(...), or register one built with " +
            "DistCronClient.ForPostgres(...) or DistCronClient.ForSqlite(...).");
        var liveWindow = options.NodeLiveWindow ?? (client as DistCronClient)?.NodeLiveWindow ?? DistCronClient.DefaultNodeLiveWindow;
        var logger = services.GetService<ILoggerFactory>()?.CreateLogger("DistCron.Dashboard") ?? NullLogger.Instance;
        var state = new DashboardState(client, options, ChangeFeed.For(client, options.PollInterval, liveWindow, logger), new EmbeddedAssets(), liveWindow);

        if (options.ActionsPolicy is not null && services.GetService<IAntiforgery>() is null)
        {
            throw new InvalidOperationException(
                "The DistCron dashboard's actions (ActionsPolicy) are protected against cross-site request forgery and need ASP.NET Core's " +
                "antiforgery services: call services.AddAntiforgery().");
        }

        var group = endpoints.MapGroup(prefix);
        Page(group, "/", state, OverviewPage.RenderAsync);
        Page(group, "/jobs", state, JobsPage.RenderAsync);
        Page(group, "/jobs/{name}", state, request => JobPage.RenderAsync(request, Name(request.Http)));
        Page(group, "/nodes", state, NodesPage.RenderAsync);
        Page(group, "/audit", state, AuditPage.RenderAsync);
        Action(Get(group, "/jobs/{name}/confirm/{action}", async http =>
            await ActionPages.ConfirmAsync(await DashboardRequest.StartAsync(http, state).ConfigureAwait(false), Name(http), Verb(http)).ConfigureAwait(false)), options);
        Action(Post(group, "/jobs/{name}/actions/{action}", async http =>
            await ActionPages.SubmitAsync(await DashboardRequest.StartAsync(http, state).ConfigureAwait(false), Name(http), Verb(http)).ConfigureAwait(false)), options);
        Action(Post(group, "/api/jobs/{name}/{action}", http => ApiEndpoints.ActAsync(http, state, Name(http), Verb(http))), options);
        Get(group, "/api/audit", http => ApiEndpoints.AuditAsync(http, state));
        Action(Get(group, "/api/antiforgery", http => ApiEndpoints.AntiforgeryAsync(http, state)), options);
        Get(group, "/api/jobs", http => ApiEndpoints.JobsAsync(http, state));
        Get(group, "/api/jobs/{name}", http => ApiEndpoints.JobAsync(http, state, Name(http)));
        Get(group, "/api/jobs/{name}/history", http => ApiEndpoints.HistoryAsync(http, state, Name(http)));
        Get(group, "/api/nodes", http => ApiEndpoints.NodesAsync(http, state));
        Get(group, "/api/openapi.json", OpenApiDocument.ServeAsync);
        Get(group, "/api/stats", http => ApiEndpoints.StatsAsync(http, state));
        Get(group, "/api/jobs/{name}/stats", http => ApiEndpoints.JobStatsAsync(http, state, Name(http)));
        Get(group, "/events", http => EventStream.RunAsync(http, state));
        Get(group, "/assets/dashboard.css", state.Assets.WriteCssAsync);
        Get(group, "/assets/dashboard.js", state.Assets.WriteJsAsync);

        var guard = new AuthorizationGuard(services, prefix);
        ((IEndpointConventionBuilder)group).Finally(endpoint =>
        {
            if (endpoint.Metadata.OfType<DashboardRoute>().FirstOrDefault() is not { } route) return;
            guard.Check(endpoint);
            endpoint.Metadata.Add(new DashboardRoot(route.RootOf(endpoint)));
        });
        if (endpoints is IApplicationBuilder app)
        {
            // Runs while the app builds its request pipeline, before the server listens: a missing authorization
            // fails start-up. The middleware itself is a pass-through.
            app.Use(next =>
            {
                AuthorizationGuard.CheckAtStartup(endpoints);
                return next;
            });
        }

        return group;
    }

    // Kestrel decodes every escape of the path but %2F (it would change the path's segments): a job name with a '/'
    // arrives with it still escaped.
    private static string Name(HttpContext http) =>
        (http.GetRouteValue("name") as string ?? "").Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);

    private static string Verb(HttpContext http) => http.GetRouteValue("action") as string ?? "";

    // An action endpoint requires the actions policy on top of the group's; without one it stays mapped and answers 403
    // (ActionPages.Allowed), so a forged POST to a read-only dashboard is refused, not "not found".
    private static void Action(IEndpointConventionBuilder endpoint, DistCronDashboardOptions options)
    {
        if (options.ActionsPolicy is { } policy) endpoint.RequireAuthorization(policy);
    }

    private static IEndpointConventionBuilder Post(RouteGroupBuilder group, string pattern, RequestDelegate handler) =>
        group.MapPost(pattern, handler).WithMetadata(new DashboardRoute(pattern)).ExcludeFromDescription();

    private static void Page(RouteGroupBuilder group, string pattern, DashboardState state, Func<DashboardRequest, Task> render) =>
        Get(group, pattern, async http => await render(await DashboardRequest.StartAsync(http, state).ConfigureAwait(false)).ConfigureAwait(false));

    private static IEndpointConventionBuilder Get(RouteGroupBuilder group, string pattern, RequestDelegate handler) =>
        group.MapGet(pattern, handler).WithMetadata(new DashboardRoute(pattern)).ExcludeFromDescription();
}

/// <summary>A dashboard endpoint's pattern under the group, to find the group's full prefix from the final route.</summary>
internal sealed record DashboardRoute(string Pattern)
{
    public string RootOf(EndpointBuilder endpoint)
    {
        var raw = (endpoint as RouteEndpointBuilder)?.RoutePattern.RawText ?? Pattern;
        var tail = Pattern.TrimStart('/');
        if (!raw.EndsWith(tail, StringComparison.Ordinal)) throw new InvalidOperationException($"The dashboard route '{raw}' does not end with '{tail}'.");
        var root = raw[..^tail.Length].TrimEnd('/');
        if (root.Contains('{', StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"The DistCron dashboard is mapped under a route with a parameter ('{raw}'); map it under a fixed path.");
        }

        return root.Length == 0 || root[0] == '/' ? root : "/" + root;
    }
}
