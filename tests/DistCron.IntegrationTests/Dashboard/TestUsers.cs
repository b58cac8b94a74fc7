using DistCron.Dashboard;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace DistCron.Tests.Dashboard;

/// <summary>
/// A dashboard host with real authentication and authorization: "X-Test-User: name[:role]" signs a request in (no
/// header is anonymous), the group requires a signed-in user ("ops") and actions need the role "writer" ("ops-write").
/// </summary>
internal static class TestUsers
{
    public const string Header = HeaderAuthentication.Header;
    public const string Reader = "rita";         // signed in, may look
    public const string Writer = "alice:writer"; // signed in, may act

    /// <summary>Starts the dashboard at /distcron with actions enabled for writers; <paramref name="also"/> adds to the app (a node, …).</summary>
    public static Task<DashboardHost> StartAsync(string databasePath, string app, Action<WebApplicationBuilder>? also = null) => DashboardHost.StartAsync(databasePath, app,
        web => web.MapDistCronDashboard("/distcron", o =>
        {
            o.PollInterval = TimeSpan.FromMilliseconds(200);
            o.ActionsPolicy = "ops-write";
        }).RequireAuthorization("ops"),
        configure: builder =>
        {
            builder.Services.AddAntiforgery();
            HeaderAuthentication.AddTo(builder.Services);
            builder.Services.AddAuthorization(options =>
            {
                options.AddPolicy("ops", policy => policy.RequireAuthenticatedUser());
                options.AddPolicy("ops-write", policy => policy.RequireRole("writer"));
            });
            also?.Invoke(builder);
        });

    /// <summary>Sends a request as <paramref name="user"/> (null: anonymous).</summary>
    public static async Task<(HttpResponseMessage Response, string Body)> SendAsync(DashboardHost host, HttpRequestMessage request, string? user)
    {
        if (user is not null) request.Headers.Add(Header, user);
        var response = await host.Http.SendAsync(request);
        return (response, await response.Content.ReadAsStringAsync());
    }
}
