using DistCron.Dashboard.Html;

namespace DistCron.Dashboard.Pages;

/// <summary>The counts an operator looks at first, each a link to the jobs it counts; runs per minute of the last hour; live nodes; recent failures.</summary>
internal static class OverviewPage
{
    private const int RecentFailures = 10;

    public static async Task RenderAsync(DashboardRequest request)
    {
        var ct = request.Http.RequestAborted;
        var counts = await request.Client.GetJobCountsAsync(request.Options.OverdueAfter, cancellationToken: ct).ConfigureAwait(false);
        var nodes = await request.Client.ListNodesAsync(ct).ConfigureAwait(false);
        var failures = await request.Client.GetHistoryAsync(null, new HistoryQuery(RecentFailures, Status: RunStatus.Failed), ct).ConfigureAwait(false);
        var activity = await request.Client.GetRunActivityAsync(ct).ConfigureAwait(false);
        var now = request.Now;
        var window = request.State.NodeLiveWindow;
        var live = nodes.Where(n => NodesPage.IsLive(n, now, window)).ToList();

        await Layout.WriteAsync(request, "Overview", "overview", h =>
        {
            h.Add($"""<section id="counts" data-live aria-label="Job counts"><ul class="cards">""");
            Card(h, request, "all", "jobs", counts.All);
            foreach (var filter in JobFacts.Filters.Skip(1)) Card(h, request, filter, filter, counts.Of(JobFacts.State(filter)!.Value));
            h.Add($"""<li class="card"><a href="{request.Link("/nodes")}"><span class="count">{live.Count}</span> <span class="label">live nodes</span></a></li>""");
            h.Add($"""</ul></section>""");

            RunCharts.Activity(h, activity);
            h.Add($"""<section id="live-nodes" data-live><h2>Live nodes</h2>""");
            if (live.Count == 0)
            {
                h.Add($"""<p class="empty">No node has sent a heartbeat within {Format.Span(window)}.</p>""");
            }
            else
            {
                h.Add($"""<ul class="plain">""");
                foreach (var node in live)
                {
                    h.Add($"""<li><strong>{node.NodeId}</strong> on {node.Host} · heartbeat {Format.Span(now - node.HeartbeatAt)} ago · {node.JobNames.Count} job(s)</li>""");
                }

                h.Add($"""</ul>""");
            }

            h.Add($"""</section><section id="recent-failures" data-live><h2>Recent failures</h2>""");
            if (failures.Count == 0)
            {
                h.Add($"""<p class="empty">No failed run in the history.</p>""");
            }
            else
            {
                h.Add($"""<table><thead><tr><th scope="col">Job</th><th scope="col">Finished</th><th scope="col">Node</th><th scope="col">Error</th></tr></thead><tbody>""");
                foreach (var run in failures)
                {
                    h.Add($"""<tr><td><a href="{JobsPage.JobLink(request, run.JobName)}">{run.JobName}</a></td><td>""");
                    Layout.Time(h, run.FinishedAt, now);
                    h.Add($"""</td><td>{run.NodeId}</td><td class="error">{Format.Excerpt(run.ErrorMessage)}</td></tr>""");
                }

                h.Add($"""</tbody></table>""");
            }

            h.Add($"""</section>""");
        }).ConfigureAwait(false);
    }

    private static void Card(HtmlBuilder h, DashboardRequest request, string filter, string label, int count)
    {
        var link = filter == "all" ? request.Link("/jobs") : request.Link("/jobs?state=" + filter);
        var alert = count > 0 && filter is "overdue" or "errored" or "failing" or "orphaned" ? " card-alert" : "";
        h.Add($"""<li class="card{alert}"><a href="{link}"><span class="count">{count}</span> <span class="label">{label}</span></a></li>""");
    }
}
