using System.Globalization;
using DistCron.Dashboard.Html;

namespace DistCron.Dashboard.Pages;

/// <summary>
/// Every job of the app: search by name, filter by state, sort, page. The filter form is a plain GET form (it works
/// without script) outside the live region, so a live refresh never takes the focus or the typed text away. The store
/// reads one page (keyset: "Next" carries the last row's cursor) and the counts, never every job of the app.
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
        var ct = request.Http.RequestAborted;

        var query = new JobPageQuery(size, search, JobFacts.State(filter), Sort(sort), request.Query("after")) { OverdueAfter = grace };
        JobListPage result;
        try
        {
            result = await request.Client.GetJobPageAsync(query, ct).ConfigureAwait(false);
        }
        catch (ArgumentException)
        {
            // A cursor edited by hand or of another sort: show the first page rather than an error.
            page = 1;
            result = await request.Client.GetJobPageAsync(query with { After = null }, ct).ConfigureAwait(false);
        }

        if (query.After is null) page = 1;
        var counts = await request.Client.GetJobCountsAsync(grace, search, ct).ConfigureAwait(false);
        var total = search.Length == 0 ? counts.All : (await request.Client.GetJobCountsAsync(grace, null, ct).ConfigureAwait(false)).All;
        var matching = JobFacts.State(filter) is { } state ? counts.Of(state) : counts.All;
        var pages = Math.Max(page, (matching + size - 1) / size);
        var shown = result.Jobs;

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

            h.Add($"""<section id="jobs" data-live aria-label="Jobs"><p class="summary">{matching} of {total} job(s)</p>""");
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
                    h.Add($"""</td><td class="nowrap">{job.LastNode}</td><td>{Format.Duration(job.LastDuration)}</td><td class="error">{Format.Excerpt(job.Error ?? job.LastError)}</td><td>""");
                    Layout.Badges(h, job, now, grace);
                    h.Add($"""</td></tr>""");
                }

                h.Add($"""</tbody></table>""");
            }

            Pager(h, request, search, filter, sort, page, pages, result.Next);
            h.Add($"""</section>""");
        }).ConfigureAwait(false);
    }

    private static string Pick(string? value, string[] allowed) => value is not null && allowed.Contains(value, StringComparer.Ordinal) ? value : allowed[0];

    private static void Option(HtmlBuilder h, string value, string selected)
    {
        if (value == selected) h.Add($"""<option value="{value}" selected>{value}</option>""");
        else h.Add($"""<option value="{value}">{value}</option>""");
    }

    public static JobSort Sort(string sort) => sort switch
    {
        "next" => JobSort.NextDue,
        "last" => JobSort.LastFinished,
        "duration" => JobSort.LastDuration,
        _ => JobSort.Name,
    };

    // Keyset paging goes forward from a cursor: "First" and "Next"; the page number is carried along for the reader.
    private static void Pager(HtmlBuilder h, DashboardRequest request, string search, string filter, string sort, int page, int pages, string? next)
    {
        if (page == 1 && next is null) return;
        h.Add($"""<nav class="pager" aria-label="Pages">""");
        if (page > 1) h.Add($"""<a href="{PageLink(request, search, filter, sort, 1, null)}" rel="first">First</a> """);
        h.Add($"""<span>Page {page} of {pages}</span>""");
        if (next is not null) h.Add($""" <a href="{PageLink(request, search, filter, sort, page + 1, next)}" rel="next">Next</a>""");
        h.Add($"""</nav>""");
    }

    private static string PageLink(DashboardRequest request, string search, string filter, string sort, int page, string? after) =>
        request.Link($"/jobs?q={Uri.EscapeDataString(search)}&state={filter}&sort={sort}") +
        (after is null ? "" : $"&page={page.ToString(CultureInfo.InvariantCulture)}&after={Uri.EscapeDataString(after)}");
}
