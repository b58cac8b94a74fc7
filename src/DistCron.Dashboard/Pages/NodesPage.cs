using DistCron.Dashboard.Html;

namespace DistCron.Dashboard.Pages;

/// <summary>The app's registered nodes, live first then silent, with heartbeat age, versions and the jobs each has code for.</summary>
internal static class NodesPage
{
    /// <summary>Live while its last heartbeat is within the window (the nodes' own rule for orphan flags).</summary>
    public static bool IsLive(NodeRow node, DateTimeOffset now, TimeSpan window) => now - node.HeartbeatAt <= window;

    public static async Task RenderAsync(DashboardRequest request)
    {
        var nodes = await request.Client.ListNodesAsync(request.Http.RequestAborted).ConfigureAwait(false);
        var now = request.Now;
        var window = request.State.NodeLiveWindow;

        await Layout.WriteAsync(request, "Nodes", "nodes", h =>
        {
            h.Add($"""<section id="nodes" data-live aria-label="Nodes">""");
            foreach (var (title, live) in new[] { ("Live", true), ("Silent", false) })
            {
                var group = nodes.Where(n => IsLive(n, now, window) == live).ToList();
                h.Add($"""<h2>{title} ({group.Count})</h2>""");
                if (group.Count == 0)
                {
                    h.Add($"""<p class="empty">{(live ? "No node has sent a heartbeat within " + Format.Span(window) + "." : "None.")}</p>""");
                    continue;
                }

                h.Add($"""<table><thead><tr><th scope="col">Node</th><th scope="col">Host</th><th scope="col">Process</th><th scope="col">Started</th><th scope="col">Heartbeat age</th><th scope="col">Version</th><th scope="col">Jobs it has code for</th></tr></thead><tbody>""");
                foreach (var node in group)
                {
                    h.Add($"""<tr><td class="nowrap">{node.NodeId}</td><td class="nowrap">{node.Host}</td><td>{node.ProcessId}</td><td class="nowrap">{Format.Utc(node.StartedAt)}</td><td>{Format.Span(now - node.HeartbeatAt)}</td><td>""");
                    DefinitionBlock.NodeVersion(h, node);
                    h.Add($"""</td><td>""");
                    foreach (var job in node.JobNames) h.Add($"""<a class="chip" href="{JobsPage.JobLink(request, job)}">{job}</a> """);
                    h.Add($"""</td></tr>""");
                }

                h.Add($"""</tbody></table>""");
            }

            h.Add($"""</section>""");
        }).ConfigureAwait(false);
    }
}
