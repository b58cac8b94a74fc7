using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace DistCron.Dashboard;

/// <summary>
/// Safe by default: outside Development, a dashboard endpoint with no authorization metadata (no
/// <c>RequireAuthorization</c>, no <c>[Authorize]</c>, no authorization fallback policy) and no explicit
/// <c>AllowAnonymous</c> is refused when the app's endpoints are built. Checked on the final metadata (a Finally
/// convention runs after every convention, including ones added to the group after it was mapped and ones of
/// enclosing groups), and forced at start-up when the dashboard is mapped on the app itself.
/// </summary>
internal sealed class AuthorizationGuard(IServiceProvider services, string prefix)
{
    public void Check(EndpointBuilder endpoint)
    {
        var metadata = endpoint.Metadata;
        if (metadata.Any(m => m is IAllowAnonymous)) return;
        if (metadata.Any(m => m is IAuthorizeData or AuthorizationPolicy or IAuthorizationRequirementData)) return;
        if (services.GetService<IHostEnvironment>()?.IsDevelopment() == true) return;
        if (services.GetService<IOptions<AuthorizationOptions>>()?.Value.FallbackPolicy is not null) return;
        throw new InvalidOperationException(
            $"The DistCron dashboard mapped at '{prefix}' has no authorization: anyone who can reach this app could read every job, " +
            "run error and node. Require a policy: app.MapDistCronDashboard(...).RequireAuthorization(\"ops\") (with " +
            "AddAuthentication/AddAuthorization). To serve it to everyone on purpose, say so: .AllowAnonymous(). " +
            "(This check is skipped in the Development environment.)");
    }

    /// <summary>Builds the app's endpoints once at start-up, so a missing authorization fails start-up, not the first request.</summary>
    public static void CheckAtStartup(IEndpointRouteBuilder app)
    {
        foreach (var source in app.DataSources) _ = source.Endpoints;
    }
}
