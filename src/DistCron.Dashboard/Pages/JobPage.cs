using System.Globalization;
using DistCron.Dashboard.Html;
using Microsoft.AspNetCore.Http;

namespace DistCron.Dashboard.Pages;

/// <summary>
/// One job: its definition and state, the last run with its full error, the next occurrences in the job's own time
/// zone (a change of UTC offset, a daylight-saving transition, is marked), and its history keyset-paged by run id, all
/// runs or only failures.
/// </summary>
internal static class JobPage
{
    private const int Occurrences = 10;

    public static readonly string[] StatusFilters = ["all", "failed", "timedout", "skipped", "succeeded"];

    public static async Task RenderAsync(DashboardRequest request, string name)
    {
        var ct = request.Http.RequestAborted;
        JobRow job;
        try
        {
            job = await request.Client.GetJobAsync(name, ct).ConfigureAwait(false);
        }
        catch (DistCronJobNotFoundException e)
        {
            await Layout.WriteAsync(request, "Job not found", "jobs", h => h.Add($"""<p class="empty">{e.Message}</p><p><a href="{request.Link("/jobs")}">All jobs</a></p>"""), StatusCodes.Status404NotFound).ConfigureAwait(false);
            return;
        }

        var canAct = await JobActions.AllowedAsync(request.Http, request.Options).ConfigureAwait(false);
        var status = request.Query("status") is { } s && StatusFilters.Contains(s, StringComparer.Ordinal) ? s : "all";
        var before = long.TryParse(request.Query("before"), NumberStyles.None, CultureInfo.InvariantCulture, out var b) && b > 0 ? b : (long?)null;
        var limit = request.Options.PageSize;
        var runs = await request.Client.GetHistoryAsync(name, new HistoryQuery(limit, before, StatusOf(status)), ct).ConfigureAwait(false);
        var durations = await request.Client.GetDurationStatsAsync(name, DurationStats.DefaultWindow, ct).ConfigureAwait(false);
        var now = request.Now;
        IReadOnlyList<DateTimeOffset> next;
        string? scheduleProblem = null;
        try
        {
            next = DistCronClient.GetNextOccurrences(job, now, Occurrences);
        }
        catch (ArgumentException e)
        {
            next = [];
            scheduleProblem = e.Message;
        }

        await Layout.WriteAsync(request, job.Name, "jobs", h =>
        {
            h.Add($"""<section id="job" data-live aria-label="Definition and state"><p class="badges">""");
            Layout.Badges(h, job, now, request.Options.OverdueAfter);
            h.Add($"""
                </p>
                <dl class="facts">
                <dt>Schedule</dt><dd><code>{job.Schedule}</code></dd>
                <dt>Time zone</dt><dd>{job.TimeZone}</dd>
                <dt>Next due</dt><dd>
                """);
            Layout.Time(h, job.NextDueAt, now);
            h.Add($""" <span class="age">{Format.Relative(job.NextDueAt, now)}</span></dd>""");
            if (JobFacts.IsRunning(job, now))
            {
                h.Add($"""<dt>Running on</dt><dd>{job.OwnerNode} (fence {job.Fence}, lease until {Format.Utc(job.LeaseUntil)})</dd>""");
            }

            h.Add($"""<dt>Last run</dt><dd>""");
            Layout.StatusBadge(h, job.LastStatus);
            h.Add($""" started {Format.Utc(job.LastStartedAt)} · finished {Format.Utc(job.LastFinishedAt)} · took {Format.Duration(job.LastDuration)} · on {job.LastNode ?? "—"}</dd>""");
            if (job.LastError is not null) h.Add($"""<dt>Last error</dt><dd><pre class="error">{job.LastError}</pre></dd>""");
            if (job.Error is not null) h.Add($"""<dt>Definition error</dt><dd><pre class="error">{job.Error}</pre></dd>""");
            if (job.Paused && job.PauseReason is not null) h.Add($"""<dt>Paused because</dt><dd>{job.PauseReason}</dd>""");
            if (job.Paused && job.PauseUntil is { } pauseEnd) h.Add($"""<dt>Paused until</dt><dd>{Format.Utc(pauseEnd)} (then a node resumes it)</dd>""");
            if (job.TriggerRequestedAt is { } triggered) h.Add($"""<dt>Trigger pending</dt><dd>since {Format.Utc(triggered)}</dd>""");
            h.Add($"""
                <dt>Schedule revision</dt><dd>{job.ScheduleRevision}</dd>
                </dl></section>
                """);
            DefinitionBlock.Write(h, job);
            if (canAct)
            {
                // Links to confirmation pages (GET, nothing changes): each holds the form that POSTs the action.
                var confirm = request.Link("/jobs/" + Uri.EscapeDataString(job.Name) + "/confirm/");
                h.Add($"""<nav class="actions" aria-label="Actions"><a class="button" href="{confirm}trigger">Trigger now…</a> """);
                if (job.Paused) h.Add($"""<a class="button" href="{confirm}resume">Resume…</a> <a class="button" href="{confirm}pause">Change pause…</a>""");
                else h.Add($"""<a class="button" href="{confirm}pause">Pause…</a>""");
                h.Add($"""</nav>""");
            }

            h.Add($"""<section id="occurrences" data-live><h2>Next {Occurrences} occurrences in {job.TimeZone}</h2>""");
            if (scheduleProblem is not null)
            {
                h.Add($"""<p class="error">{scheduleProblem}</p>""");
            }
            else if (next.Count == 0)
            {
                h.Add($"""<p class="empty">The schedule has no further occurrence.</p>""");
            }
            else
            {
                h.Add($"""<ol class="occurrences">""");
                TimeSpan? offset = null;
                foreach (var at in next)
                {
                    var shift = offset is { } previous && previous != at.Offset;
                    h.Add($"""<li><time datetime="{Format.Iso(at)}">{Format.Zoned(at)}</time>""");
                    if (shift) h.Add($""" <span class="badge badge-dst" title="The UTC offset changes before this occurrence">offset change</span>""");
                    h.Add($"""</li>""");
                    offset = at.Offset;
                }

                h.Add($"""</ol>""");
            }

            h.Add($"""</section>""");
            RunCharts.Durations(h, durations);
            h.Add($"""<section id="history" data-live><h2>History</h2><nav class="tabs" aria-label="Filter history">""");
            foreach (var filter in StatusFilters)
            {
                var link = request.Link("/jobs/" + Uri.EscapeDataString(job.Name) + (filter == "all" ? "" : "?status=" + filter));
                if (filter == status) h.Add($"""<a href="{link}" aria-current="page">{filter}</a> """);
                else h.Add($"""<a href="{link}">{filter}</a> """);
            }

            h.Add($"""</nav>""");
            if (runs.Count == 0)
            {
                h.Add($"""<p class="empty">No run recorded{(before is null ? "" : " before this page")}.</p>""");
            }
            else
            {
                h.Add($"""<table><thead><tr><th scope="col">Run</th><th scope="col">Occurrence</th><th scope="col">Status</th><th scope="col">Started</th><th scope="col">Duration</th><th scope="col">Node</th><th scope="col">Attempt</th><th scope="col">Error</th></tr></thead><tbody>""");
                foreach (var run in runs)
                {
                    h.Add($"""<tr><td>{run.Id}{(run.IsManualTrigger ? " (manual)" : "")}</td><td>{Format.Utc(run.OccurrenceAt)}</td><td>""");
                    Layout.StatusBadge(h, run.Status);
                    h.Add($"""</td><td>{Format.Utc(run.StartedAt)}</td><td>{Format.Duration(run.Duration)}</td><td>{run.NodeId}</td><td>{run.Attempt}</td><td class="error">""");
                    if (run.ErrorType is not null) h.Add($"""<code>{run.ErrorType}</code> """);
                    h.Add($"""{run.ErrorMessage}</td></tr>""");
                }

                h.Add($"""</tbody></table>""");
            }

            h.Add($"""<nav class="pager" aria-label="History pages">""");
            if (before is not null) h.Add($"""<a href="{HistoryLink(request, job.Name, status, null)}">Newest</a> """);
            if (runs.Count == limit) h.Add($"""<a href="{HistoryLink(request, job.Name, status, runs[^1].Id)}" rel="next">Older</a>""");
            h.Add($"""</nav></section>""");
        }).ConfigureAwait(false);
    }

    private static RunStatus? StatusOf(string filter) => filter switch
    {
        "failed" => RunStatus.Failed,
        "timedout" => RunStatus.TimedOut,
        "skipped" => RunStatus.Skipped,
        "succeeded" => RunStatus.Succeeded,
        _ => null,
    };

    private static string HistoryLink(DashboardRequest request, string name, string status, long? before)
    {
        var query = new List<string>();
        if (status != "all") query.Add("status=" + status);
        if (before is { } id) query.Add("before=" + id.ToString(CultureInfo.InvariantCulture));
        return request.Link("/jobs/" + Uri.EscapeDataString(name) + (query.Count == 0 ? "" : "?" + string.Join('&', query)));
    }
}
