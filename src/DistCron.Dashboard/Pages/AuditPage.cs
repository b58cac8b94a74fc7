using System.Globalization;
using DistCron.Dashboard.Html;

namespace DistCron.Dashboard.Pages;

/// <summary>Who triggered, paused or resumed what, when (database clock) and why: newest first, keyset-paged by id.</summary>
internal static class AuditPage
{
    public static async Task RenderAsync(DashboardRequest request)
    {
        var before = long.TryParse(request.Query("before"), NumberStyles.None, CultureInfo.InvariantCulture, out var b) && b > 0 ? b : (long?)null;
        var limit = request.Options.PageSize;
        var rows = await request.Client.ListAuditAsync(new AuditQuery(limit, before), request.Http.RequestAborted).ConfigureAwait(false);
        await Layout.WriteAsync(request, "Audit", "audit", h =>
        {
            h.Add($"""<section id="audit" data-live>""");
            if (rows.Count == 0)
            {
                h.Add($"""<p class="empty">No action recorded{(before is null ? "" : " before this page")}.</p>""");
            }
            else
            {
                h.Add($"""<table><thead><tr><th scope="col">When</th><th scope="col">Who</th><th scope="col">Action</th><th scope="col">Job</th><th scope="col">Until</th><th scope="col">Why</th></tr></thead><tbody>""");
                foreach (var row in rows)
                {
                    h.Add($"""<tr><td>""");
                    Layout.Time(h, row.At, request.Now);
                    h.Add($"""</td><td>{row.Actor}</td><td>{row.Action.ToString().ToLowerInvariant()}</td><td><a href="{request.Link("/jobs/" + Uri.EscapeDataString(row.JobName))}">{row.JobName}</a></td><td>{Format.Utc(row.PauseUntil)}</td><td>{row.Reason ?? "—"}</td></tr>""");
                }

                h.Add($"""</tbody></table>""");
            }

            h.Add($"""<nav class="pager" aria-label="Audit pages">""");
            if (before is not null) h.Add($"""<a href="{request.Link("/audit")}">Newest</a> """);
            if (rows.Count == limit) h.Add($"""<a href="{request.Link("/audit?before=" + rows[^1].Id.ToString(CultureInfo.InvariantCulture))}" rel="next">Older</a>""");
            h.Add($"""</nav></section>""");
        }).ConfigureAwait(false);
    }
}
