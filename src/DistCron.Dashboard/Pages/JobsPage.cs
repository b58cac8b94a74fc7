using System.Globalization;
using DistCron.Dashboard.Html;

namespace DistCron.Dashboard.Pages;

/// <summary>
/// Every job of the app: search by name, filter by state, sort, page. The filter form is a plain GET form (it works
/// without script) outside the live region, so a live refresh never takes the focus or the typed text away.
/// </summary>
internal static class JobsPage
{
    public static readonly string[] Sorts = ["name", "next", "last", "duration"];

    public static string JobLink(DashboardRequest request, string name) => request.Link("/jobs/" + Uri.EscapeDataString(name));

    public static async Task RenderAsync(DashboardRequest request)
    {
        var search = request.Query("q")?.Trim() ?? "";
        var filter = Pick(request.Query("state"), JobFacts.Filters);
        var sort = Pick(request.Query("sort"), Sorts);
        var page = int.TryParse(request.Query("page"), NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p > 0 ? p : 1;
        var now = request.Now;
        var grace = request.Options.OverdueAfter;
        var size = request.Options.PageSize;

        var all = await request.Client.ListJobsAsync(request.Http.RequestAborted).ConfigureAwait(false);
        var matching = all
            .Where(j => search.Length == 0 || j.Name.Contains(search, StringComparison.OrdinalIgnoreCase))
            .Where(j => JobFacts.Matches(j, filter, now, grace));
        var sorted = (sort switch
        {
            // Soonest due first; jobs with no due time (paused, ended) last.
            "next" => matching.OrderBy(j => j.NextDueAt ?? DateTimeOffset.MaxValue),
            // Most recent run first; never-run jobs last.
            "last" => matching.OrderByDescending(j => j.LastFinishedAt ?? DateTimeOffset.MinValue),
            "duration" => matching.OrderByDescending(j => j.LastDuration ?? TimeSpan.MinValue),
            _ => matching.OrderBy(j => j.Name, StringComparer.Ordinal),
        }).ThenBy(j => j.Name, StringComparer.Ordinal).ToList();
        var pages = Math.Max(1, (sorted.Count + size - 1) / size);
        page = Math.Min(page, pages);
        var shown = sorted.Skip((page - 1) * size).Take(size).ToList();

        await Layout.WriteAsync(request, "Jobs", "jobs", h =>
        {
            h.Add($"""
                <form class="filters" method="get" action="{request.Link("/jobs")}" role="search">
                <label>Name <input type="search" name="q" value="{search}" autocomplete="off"></label>
                <label>State <select name="state">
                """);
            foreach (var option in JobFacts.Filters) Option(h, option, filter);
            h.Add($"""</select></label><label>Sort <select name="sort">""");
            foreach (var option in Sorts) Option(h, option, sort);
            h.Add($"""</select></label><button type="submit">Show</button></form>""");

            h.Add($"""<section id="jobs" data-live aria-label="Jobs"><p class="summary">{sorted.Count} of {all.Count} job(s)</p>""");
            if (shown.Count == 0)
            {
                h.Add($"""<p class="empty">No job matches.</p>""");
            }
            else
            {
                h.Add($"""
                    <table><thead><tr><th scope="col">Job</th><th scope="col">Schedule</th><th scope="col">Time zone</th><th scope="col">Next due</th><th scope="col">Last run</th><th scope="col">Node</th><th scope="col">Duration</th><th scope="col">Last error</th><th scope="col">State</th></tr></thead><tbody>
                    """);
                foreach (var job in shown)
                {
                    h.Add($"""<tr><td><a href="{JobLink(request, job.Name)}">{job.Name}</a></td><td><code>{job.Schedule}</code></td><td>{job.TimeZone}</td><td>""");
                    Layout.Time(h, job.NextDueAt, now);
                    h.Add($"""</td><td>""");
                    Layout.StatusBadge(h, job.LastStatus);
                    h.Add($"""</td><td>{job.LastNode}</td><td>{Format.Duration(job.LastDuration)}</td><td class="error">{Format.Excerpt(job.Error ?? job.LastError)}</td><td>""");
                    Layout.Badges(h, job, now, grace);
                    h.Add($"""</td></tr>""");
                }

                h.Add($"""</tbody></table>""");
            }

            Pager(h, request, search, filter, sort, page, pages);
            h.Add($"""</section>""");
        }).ConfigureAwait(false);
    }

    private static string Pick(string? value, string[] allowed) => value is not null && allowed.Contains(value, StringComparer.Ordinal) ? value : allowed[0];

    private static void Option(HtmlBuilder h, string value, string selected)
    {
        if (value == selected) h.Add($"""<option value="{value}" selected>{value}</option>""");
        else h.Add($"""<option value="{value}">{value}</option>""");
    }

    private static void Pager(HtmlBuilder h, DashboardRequest request, string search, string filter, string sort, int page, int pages)
    {
        if (pages <= 1) return;
        h.Add($"""<nav class="pager" aria-label="Pages">""");
        if (page > 1) h.Add($"""<a href="{PageLink(request, search, filter, sort, page - 1)}" rel="prev">Previous</a> """);
        h.Add($"""<span>Page {page} of {pages}</span>""");
        if (page < pages) h.Add($""" <a href="{PageLink(request, search, filter, sort, page + 1)}" rel="next">Next</a>""");
        h.Add($"""</nav>""");
    }

    private static string PageLink(DashboardRequest request, string search, string filter, string sort, int page) =>
        request.Link($"/jobs?q={Uri.EscapeDataString(search)}&state={filter}&sort={sort}&page={page.ToString(CultureInfo.InvariantCulture)}");
}
