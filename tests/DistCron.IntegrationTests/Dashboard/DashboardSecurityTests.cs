using System.Net;
using DistCron.Dashboard;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace DistCron.Tests.Dashboard;

/// <summary>Safe by default: no authorization outside Development fails start-up; a required policy refuses strangers.</summary>
public sealed class DashboardSecurityTests : DashboardTestBase
{
    [Fact]
    public async Task Start_up_fails_outside_Development_when_the_dashboard_has_no_authorization()
    {
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            DashboardHost.StartAsync(DatabasePath, App, web => web.MapDistCronDashboard("/distcron")));
        Assert.Contains("'/distcron' has no authorization", failure.Message);
        Assert.Contains(".RequireAuthorization(\"ops\")", failure.Message);
        Assert.Contains(".AllowAnonymous()", failure.Message);

        // Staging is not Development either.
        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            DashboardHost.StartAsync(DatabasePath, App, web => web.MapDistCronDashboard("/distcron"), environment: "Staging"));
    }

    [Fact]
    public async Task An_explicit_AllowAnonymous_or_the_Development_environment_starts_and_serves()
    {
        await using (var anonymous = await DashboardHost.StartAsync(DatabasePath, App, web => web.MapDistCronDashboard("/distcron").AllowAnonymous()))
        {
            Assert.Contains("nightly", await anonymous.GetOkAsync("/distcron/jobs"));
        }

        await using var development = await DashboardHost.StartAsync(DatabasePath, App, web => web.MapDistCronDashboard("/distcron"), environment: "Development");
        Assert.Contains("nightly", await development.GetOkAsync("/distcron/jobs"));
    }

    [Fact]
    public async Task A_fallback_authorization_policy_counts_as_authorization()
    {
        await using var host = await DashboardHost.StartAsync(DatabasePath, App, web => web.MapDistCronDashboard("/distcron"),
            configure: builder => AddTestAuthentication(builder, fallback: true));
        Assert.Equal(HttpStatusCode.Unauthorized, (await host.GetAsync("/distcron/jobs")).Response.StatusCode);
    }

    [Fact]
    public async Task A_required_policy_refuses_anonymous_and_unauthorized_users_on_every_endpoint()
    {
        await using var host = await DashboardHost.StartAsync(DatabasePath, App,
            web =>
            {
                web.UseAuthentication();
                web.UseAuthorization();
                web.MapDistCronDashboard("/distcron").RequireAuthorization("ops");
            },
            configure: builder => AddTestAuthentication(builder, fallback: false));

        foreach (var path in new[] { "/distcron", "/distcron/jobs", "/distcron/jobs/nightly", "/distcron/nodes", "/distcron/api/jobs", "/distcron/api/nodes", "/distcron/api/jobs/nightly/history", "/distcron/events", "/distcron/assets/dashboard.js" })
        {
            var (anonymous, body) = await host.GetAsync(path);
            Assert.True(anonymous.StatusCode == HttpStatusCode.Unauthorized, $"{path}: {(int)anonymous.StatusCode}");
            Assert.DoesNotContain("nightly", body);

            using var stranger = new HttpRequestMessage(HttpMethod.Get, path.TrimStart('/'));
            stranger.Headers.Add(HeaderAuthentication.Header, "mallory");
            var forbidden = await host.Http.SendAsync(stranger);
            Assert.True(forbidden.StatusCode == HttpStatusCode.Forbidden, $"{path}: {(int)forbidden.StatusCode}");
        }

        using var operatorRequest = new HttpRequestMessage(HttpMethod.Get, "distcron/jobs");
        operatorRequest.Headers.Add(HeaderAuthentication.Header, "alice:ops");
        var ok = await host.Http.SendAsync(operatorRequest);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Contains("nightly", await ok.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Inside_a_group_the_group_authorization_counts_and_its_prefix_is_in_every_link()
    {
        await using var host = await DashboardHost.StartAsync(DatabasePath, App,
            web => web.MapGroup("/admin").RequireAuthorization("ops").MapDistCronDashboard("/distcron"),
            configure: builder => AddTestAuthentication(builder, fallback: false));
        Assert.Equal(HttpStatusCode.Unauthorized, (await host.GetAsync("/admin/distcron/jobs")).Response.StatusCode);
        using var request = new HttpRequestMessage(HttpMethod.Get, "admin/distcron/jobs");
        request.Headers.Add(HeaderAuthentication.Header, "alice:ops");
        var ok = await host.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Contains("href=\"/admin/distcron/jobs/nightly\"", await ok.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Inside_a_group_without_authorization_it_refuses_to_serve()
    {
        // Mapped on a group, the app's start-up cannot be hooked: the check runs when the endpoints are built.
        await using var host = await DashboardHost.StartAsync(DatabasePath, App, web => web.MapGroup("/admin").MapDistCronDashboard("/distcron"));
        var (response, body) = await host.GetAsync("/admin/distcron/jobs");
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.DoesNotContain("nightly", body);
    }

    private static void AddTestAuthentication(WebApplicationBuilder builder, bool fallback)
    {
        HeaderAuthentication.AddTo(builder.Services);
        builder.Services.AddAuthorization(options =>
        {
            options.AddPolicy("ops", policy => policy.RequireRole("ops"));
            if (fallback) options.FallbackPolicy = options.GetPolicy("ops");
        });
    }
}
