using System.Net;
using Microsoft.AspNetCore.Builder;

namespace DistCron.Tests.Dashboard;

/// <summary>
/// The header's "read-only" label tells the user what they can do on this request: shown when actions are off or the
/// user fails the actions policy, absent for a user who may act.
/// </summary>
public sealed class DashboardAccessLabelTests : DashboardTestBase
{
    private const string Label = """<span class="access">read-only</span>""";

    private static readonly string[] Pages = ["/distcron", "/distcron/jobs", "/distcron/jobs/nightly", "/distcron/nodes", "/distcron/audit"];

    [Fact]
    public async Task A_user_who_may_act_sees_no_read_only_label_and_a_user_who_may_not_sees_it()
    {
        await using var host = await TestUsers.StartAsync(DatabasePath, App);
        foreach (var page in Pages)
        {
            var (writerResponse, writer) = await TestUsers.SendAsync(host, new HttpRequestMessage(HttpMethod.Get, page.TrimStart('/')), TestUsers.Writer);
            Assert.Equal(HttpStatusCode.OK, writerResponse.StatusCode);
            Assert.DoesNotContain("read-only", writer);

            var (readerResponse, reader) = await TestUsers.SendAsync(host, new HttpRequestMessage(HttpMethod.Get, page.TrimStart('/')), TestUsers.Reader);
            Assert.Equal(HttpStatusCode.OK, readerResponse.StatusCode);
            Assert.Contains(Label, reader);
        }

        // The writer's job page has the action buttons the label's absence promises; the reader's has none.
        var (_, writerJob) = await TestUsers.SendAsync(host, new HttpRequestMessage(HttpMethod.Get, "distcron/jobs/nightly"), TestUsers.Writer);
        Assert.Contains("/confirm/pause", writerJob);
        var (_, readerJob) = await TestUsers.SendAsync(host, new HttpRequestMessage(HttpMethod.Get, "distcron/jobs/nightly"), TestUsers.Reader);
        Assert.DoesNotContain("/confirm/", readerJob);
    }

    [Fact]
    public async Task A_dashboard_without_actions_is_read_only_for_everyone()
    {
        await using var host = await DashboardHost.StartAsync(DatabasePath, App, DashboardHost.Anonymous());
        foreach (var page in Pages) Assert.Contains(Label, await host.GetOkAsync(page));
    }
}
