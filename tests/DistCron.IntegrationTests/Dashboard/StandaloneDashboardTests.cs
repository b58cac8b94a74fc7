using System.Net;
using System.Reflection;
using System.Text.RegularExpressions;

namespace DistCron.Tests.Dashboard;

/// <summary>
/// <c>distcron dashboard</c>: the built CLI as a child process serving the dashboard from a real SQLite file, read-only,
/// on loopback; a non-loopback address is refused unless asked for; Ctrl+C stops it cleanly.
/// </summary>
public sealed partial class StandaloneDashboardTests : DashboardTestBase
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task The_cli_serves_the_dashboard_read_only_on_loopback_and_stops_cleanly_on_ctrl_c()
    {
        using var cli = ServingProcess.Start("dotnet",
            [Tool(), "dashboard", "--sqlite", DatabasePath, "--app", App, "--urls", "http://127.0.0.1:0"],
            new Dictionary<string, string> { ["DISTCRON_CONNECTION"] = "", ["ASPNETCORE_URLS"] = "http://0.0.0.0:5999" });
        var address = await cli.WaitForAddressAsync(AddressLine(), Timeout);
        Assert.Equal("127.0.0.1", address.Host); // ASPNETCORE_URLS did not widen it
        Assert.Contains("read-only", cli.Output);

        using var http = new HttpClient { BaseAddress = address, Timeout = Timeout };
        var overview = await http.GetStringAsync("");
        Assert.Contains("nightly", overview);
        var jobs = await http.GetStringAsync("jobs");
        Assert.Contains("nightly", jobs);
        Assert.Contains("Europe/Paris", jobs);
        Assert.Contains(EvilEncoded, jobs);
        Assert.DoesNotContain(Evil, jobs);
        var job = await http.GetStringAsync("jobs/nightly");
        Assert.Contains("disk full", job);
        // The declaration and the node's versions come from the store: no job code is loaded here.
        Assert.Contains("<code>Shop.Jobs.Reports.NightlyAsync</code>", job);
        Assert.Contains("<dt>Misfire policy</dt><dd>Skip</dd>", job);
        Assert.Contains("\"name\": \"nightly\"", await http.GetStringAsync("api/jobs"));
        var nodes = await http.GetStringAsync("nodes");
        Assert.Contains("node-a", nodes);
        Assert.Contains("deployment 202612070300", nodes);

        // Read-only: nothing that changes the store is served.
        var post = await http.PostAsync("jobs/nightly/trigger", new StringContent(""));
        Assert.True(post.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed, $"POST answered {(int)post.StatusCode}");
        Assert.Null((await Store.ListJobsAsync(App, Ct)).Single(j => j.Name == "nightly").TriggerRequestedAt);

        Assert.Equal(0, await cli.InterruptAsync(Timeout));
        Assert.Contains("Dashboard stopped.", cli.Output);
        Assert.DoesNotContain(DatabasePath + ";", cli.Output);
    }

    [Theory]
    [InlineData("http://0.0.0.0:0")]
    [InlineData("http://*:5080")]
    [InlineData("http://example.com:5080")]
    [InlineData("http://127.0.0.1:0;http://[::]:0")]
    public async Task A_non_loopback_url_is_refused_without_allow_remote(string urls)
    {
        var result = await RunCliAsync("dashboard", "--urls", urls);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--allow-remote", result.Output);
        Assert.Contains("reverse proxy", result.Output);
        Assert.DoesNotContain("DistCron dashboard for app", result.Output);
    }

    [Fact]
    public async Task Allow_remote_serves_on_every_interface_when_asked()
    {
        using var cli = ServingProcess.Start("dotnet",
            [Tool(), "dashboard", "--sqlite", DatabasePath, "--app", App, "--urls", "http://0.0.0.0:0", "--allow-remote"],
            new Dictionary<string, string> { ["DISTCRON_CONNECTION"] = "" });
        var address = await cli.WaitForAddressAsync(AddressLine(), Timeout);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{address.Port}/"), Timeout = Timeout };
        Assert.Contains("nightly", await http.GetStringAsync("jobs"));
        Assert.Equal(0, await cli.InterruptAsync(Timeout));
    }

    [Fact]
    public async Task An_unknown_app_is_refused_with_the_apps_the_database_holds()
    {
        var tool = Tool();
        var result = await Infrastructure.ProcessRunner.RunAsync("dotnet", [tool, "dashboard", "--sqlite", DatabasePath, "--app", "nope"], Timeout,
            new Dictionary<string, string> { ["DISTCRON_CONNECTION"] = "" });
        Assert.Equal(3, result.ExitCode);
        Assert.Contains(App, result.Output);
    }

    private static string Tool()
    {
        var tool = typeof(StandaloneDashboardTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "Cli").Value!;
        Assert.True(File.Exists(tool), $"The CLI was not built at {tool}.");
        return tool;
    }

    [GeneratedRegex(@"DistCron dashboard for app '[^']*' \([^)]*\): (?<url>http://\S+/)")]
    private static partial Regex AddressLine();
}
