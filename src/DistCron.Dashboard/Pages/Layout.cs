using System.Text;
using DistCron.Dashboard.Html;
using Microsoft.AspNetCore.Http;

namespace DistCron.Dashboard.Pages;

/// <summary>
/// The frame of every page. The part that changes with the store sits in elements marked <c>data-live</c> with an id:
/// the embedded script fetches the page again on a change event and swaps those elements, so a page without script is
/// complete and a reload shows the same.
/// </summary>
internal static class Layout
{
    public static async Task WriteAsync(DashboardRequest request, string title, string section, Action<HtmlBuilder> body, int statusCode = StatusCodes.Status200OK)
    {
        var h = new HtmlBuilder();
        var options = request.Options;
        // "read-only" says what this user can do here, so it depends on the request, not only on the options.
        var canAct = await JobActions.AllowedAsync(request.Http, options).ConfigureAwait(false);
        h.Add($"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{title} · {options.Title}</title>
            <link rel="stylesheet" href="{request.Link(request.State.Assets.CssPath)}">
            <script src="{request.Link(request.State.Assets.JsPath)}" defer></script>
            </head>
            <body data-events="{request.Link("/events")}">
            <header class="top">
            <a class="brand" href="{request.Link("/")}">{options.Title}</a>
            <nav aria-label="Sections">
            """);
        NavLink(h, request, "/", "Overview", section == "overview");
        NavLink(h, request, "/jobs", "Jobs", section == "jobs");
        NavLink(h, request, "/nodes", "Nodes", section == "nodes");
        NavLink(h, request, "/audit", "Audit", section == "audit");
        h.Add($"""
            </nav>
            <span class="meta">app <strong>{request.Client.App}</strong> · database time <time datetime="{Format.Iso(request.Now)}">{Format.Utc(request.Now)}</time>
            """);
        if (!canAct) h.Add($""" · <span class="access">read-only</span>""");
        h.Add($"""
             <span id="live-status" class="live-status" aria-live="polite"></span></span>
            </header>
            <main>
            <h1>{title}</h1>
            """);
        body(h);
        h.Add($"""
            </main>
            </body>
            </html>
            """);

        var response = request.Http.Response;
        response.StatusCode = statusCode;
        response.ContentType = "text/html; charset=utf-8";
        response.Headers.CacheControl = "no-store";
        await response.WriteAsync(h.ToString(), Encoding.UTF8, request.Http.RequestAborted).ConfigureAwait(false);
    }

    private static void NavLink(HtmlBuilder h, DashboardRequest request, string path, string label, bool current)
    {
        if (current) h.Add($"""<a href="{request.Link(path)}" aria-current="page">{label}</a>""");
        else h.Add($"""<a href="{request.Link(path)}">{label}</a>""");
    }

    /// <summary>A job's state badges: every one that applies (the JSON's one-word state picks the first).</summary>
    public static void Badges(HtmlBuilder h, JobRow job, DateTimeOffset now, TimeSpan overdueAfter)
    {
        if (job.Error is not null) Badge(h, "errored");
        if (JobFacts.IsRunning(job, now)) Badge(h, "running");
        if (JobFacts.IsOverdue(job, now, overdueAfter)) Badge(h, "overdue");
        if (JobFacts.IsFailing(job)) Badge(h, "failing");
        if (job.Paused) Badge(h, "paused");
        if (job.Orphaned) Badge(h, "orphaned");
        if (job.Disabled) Badge(h, "disabled");
        if (job.TriggerRequestedAt is not null) Badge(h, "triggered");
        // Which deployment wrote the definition: during a rolling deploy this tells the jobs already switched to the
        // new release from the ones still on the old one.
        if (job.DefinitionVersion is { } version)
        {
            h.Add($"""<span class="badge badge-version" title="Definition written by DeploymentVersion {version}">v{version}</span> """);
        }
    }

    public static void Badge(HtmlBuilder h, string state) => h.Add($"""<span class="badge badge-{state}">{state}</span> """);

    public static void StatusBadge(HtmlBuilder h, RunStatus? status)
    {
        var word = Format.Status(status);
        h.Add($"""<span class="status status-{word}">{word}</span>""");
    }

    public static void Time(HtmlBuilder h, DateTimeOffset? at, DateTimeOffset now)
    {
        if (at is { } t) h.Add($"""<time datetime="{Format.Iso(t)}" title="{Format.Relative(t, now)}">{Format.Utc(t)}</time>""");
        else h.Add($"—");
    }
}
