using System.Globalization;
using System.Text;
using DistCron.Json;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace DistCron.Dashboard.Api;

/// <summary>
/// The HTTP API: the same documents as the CLI's <c>--json</c> output, written by the same <see cref="JsonContract"/>
/// (envelope with format version, command, app and database time). Errors are <c>{"formatVersion":1,"error":{…}}</c>
/// with the CLI's error code names.
/// </summary>
internal static class ApiEndpoints
{
    /// <summary>
    /// Every job (the CLI's <c>jobs --json</c>), or with any of q, state, sort, limit, after one page of them in the same
    /// document; the next page's address is in a <c>Link: &lt;…&gt;; rel="next"</c> header, so the document keeps its shape.
    /// </summary>
    public static async Task JobsAsync(HttpContext http, DashboardState state)
    {
        var request = await DashboardRequest.StartAsync(http, state).ConfigureAwait(false);
        string[] paging = ["q", "state", "sort", "limit", "after"];
        if (!paging.Any(http.Request.Query.ContainsKey))
        {
            var jobs = await state.Client.ListJobsAsync(http.RequestAborted).ConfigureAwait(false);
            await WriteAsync(http, StatusCodes.Status200OK, JsonContract.JobsDocument(state.Client.App, request.Now, jobs)).ConfigureAwait(false);
            return;
        }

        if (!TryJobQuery(request, out var query, out var problem))
        {
            await WriteAsync(http, StatusCodes.Status400BadRequest, JsonContract.ErrorDocument("usage", problem)).ConfigureAwait(false);
            return;
        }

        JobListPage page;
        try
        {
            page = await state.Client.GetJobPageAsync(query with { OverdueAfter = state.Options.OverdueAfter }, http.RequestAborted).ConfigureAwait(false);
        }
        catch (ArgumentException e)
        {
            await WriteAsync(http, StatusCodes.Status400BadRequest, JsonContract.ErrorDocument("usage", e.Message)).ConfigureAwait(false);
            return;
        }

        if (page.Next is { } next)
        {
            var link = request.Link("/api/jobs") + "?" + string.Join("&", http.Request.Query.Where(p => p.Key != "after").Select(p => $"{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(p.Value.ToString())}").Append("after=" + Uri.EscapeDataString(next)));
            http.Response.Headers.Link = $"<{link}>; rel=\"next\"";
        }

        await WriteAsync(http, StatusCodes.Status200OK, JsonContract.JobsDocument(state.Client.App, request.Now, page.Jobs)).ConfigureAwait(false);
    }

    // The jobs page's names: q (name contains, ignoring case), state, sort (name, next, last, duration), limit, after.
    private static bool TryJobQuery(DashboardRequest request, out JobPageQuery query, out string problem)
    {
        query = new JobPageQuery(request.Options.PageSize, request.Query("q"), After: request.Query("after"));
        problem = "";
        if (request.Query("limit") is { } limitText)
        {
            if (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out var limit) || limit is < 1 or > JobPageQuery.MaxLimit)
            {
                problem = $"limit must be a whole number from 1 to {JobPageQuery.MaxLimit}.";
                return false;
            }

            query = query with { Limit = limit };
        }

        if (request.Query("state") is { } stateText && stateText != "all")
        {
            if (JobFacts.State(stateText) is not { } jobState)
            {
                problem = $"state must be one of {string.Join(", ", JobFacts.Filters)}.";
                return false;
            }

            query = query with { State = jobState };
        }

        if (request.Query("sort") is { } sortText)
        {
            if (!Pages.JobsPage.Sorts.Contains(sortText, StringComparer.Ordinal))
            {
                problem = $"sort must be one of {string.Join(", ", Pages.JobsPage.Sorts)}.";
                return false;
            }

            query = query with { Sort = Pages.JobsPage.Sort(sortText) };
        }

        return true;
    }

    public static async Task JobAsync(HttpContext http, DashboardState state, string name)
    {
        var request = await DashboardRequest.StartAsync(http, state).ConfigureAwait(false);
        try
        {
            var job = await state.Client.GetJobAsync(name, http.RequestAborted).ConfigureAwait(false);
            await WriteAsync(http, StatusCodes.Status200OK, JsonContract.JobDocument("job", state.Client.App, request.Now, job)).ConfigureAwait(false);
        }
        catch (DistCronJobNotFoundException e)
        {
            await WriteAsync(http, StatusCodes.Status404NotFound, JsonContract.ErrorDocument("not_found", e.Message)).ConfigureAwait(false);
        }
    }

    public static async Task HistoryAsync(HttpContext http, DashboardState state, string name)
    {
        var request = await DashboardRequest.StartAsync(http, state).ConfigureAwait(false);
        if (!TryQuery(request, out var query, out var problem))
        {
            await WriteAsync(http, StatusCodes.Status400BadRequest, JsonContract.ErrorDocument("usage", problem)).ConfigureAwait(false);
            return;
        }

        try
        {
            var runs = await state.Client.GetHistoryAsync(name, query, http.RequestAborted).ConfigureAwait(false);
            await WriteAsync(http, StatusCodes.Status200OK, JsonContract.HistoryDocument(state.Client.App, request.Now, runs, query.Limit)).ConfigureAwait(false);
        }
        catch (DistCronJobNotFoundException e)
        {
            await WriteAsync(http, StatusCodes.Status404NotFound, JsonContract.ErrorDocument("not_found", e.Message)).ConfigureAwait(false);
        }
    }

    /// <summary><c>GET api/stats</c>: the app's runs and failures per minute of the last hour, by the database clock.</summary>
    public static async Task StatsAsync(HttpContext http, DashboardState state)
    {
        var request = await DashboardRequest.StartAsync(http, state).ConfigureAwait(false);
        var activity = await state.Client.GetRunActivityAsync(http.RequestAborted).ConfigureAwait(false);
        await WriteAsync(http, StatusCodes.Status200OK, JsonContract.StatsDocument(state.Client.App, request.Now, activity)).ConfigureAwait(false);
    }

    /// <summary>
    /// <c>GET api/jobs/{name}/stats</c>: the durations of the job's last runs (<c>runs</c>, 1-1000, default 100) with
    /// their nearest-rank p50 and p95.
    /// </summary>
    public static async Task JobStatsAsync(HttpContext http, DashboardState state, string name)
    {
        var request = await DashboardRequest.StartAsync(http, state).ConfigureAwait(false);
        var window = DurationStats.DefaultWindow;
        if (request.Query("runs") is { } runsText
            && (!int.TryParse(runsText, NumberStyles.None, CultureInfo.InvariantCulture, out window) || window is < 1 or > HistoryQuery.MaxLimit))
        {
            await WriteAsync(http, StatusCodes.Status400BadRequest, JsonContract.ErrorDocument("usage", $"runs must be a whole number from 1 to {HistoryQuery.MaxLimit}.")).ConfigureAwait(false);
            return;
        }

        try
        {
            var stats = await state.Client.GetDurationStatsAsync(name, window, http.RequestAborted).ConfigureAwait(false);
            await WriteAsync(http, StatusCodes.Status200OK, JsonContract.JobStatsDocument(state.Client.App, request.Now, name, stats)).ConfigureAwait(false);
        }
        catch (DistCronJobNotFoundException e)
        {
            await WriteAsync(http, StatusCodes.Status404NotFound, JsonContract.ErrorDocument("not_found", e.Message)).ConfigureAwait(false);
        }
    }

    public static async Task NodesAsync(HttpContext http, DashboardState state)
    {
        var request = await DashboardRequest.StartAsync(http, state).ConfigureAwait(false);
        var nodes = await state.Client.ListNodesAsync(http.RequestAborted).ConfigureAwait(false);
        await WriteAsync(http, StatusCodes.Status200OK, JsonContract.NodesDocument(state.Client.App, request.Now, nodes)).ConfigureAwait(false);
    }

    /// <summary><c>GET api/audit</c>: the <c>distcron audit --json</c> document (limit, before, job as query parameters).</summary>
    public static async Task AuditAsync(HttpContext http, DashboardState state)
    {
        var request = await DashboardRequest.StartAsync(http, state).ConfigureAwait(false);
        if (!TryQuery(request, out var history, out var problem) || history.Status is not null)
        {
            await WriteAsync(http, StatusCodes.Status400BadRequest, JsonContract.ErrorDocument("usage", history.Status is not null ? "status does not apply to the audit." : problem)).ConfigureAwait(false);
            return;
        }

        var query = new AuditQuery(history.Limit, history.BeforeId, request.Query("job"));
        var rows = await state.Client.ListAuditAsync(query, http.RequestAborted).ConfigureAwait(false);
        await WriteAsync(http, StatusCodes.Status200OK, JsonContract.AuditDocument(state.Client.App, request.Now, rows, query.Limit)).ConfigureAwait(false);
    }

    /// <summary>
    /// <c>GET api/antiforgery</c>: a token for the action POSTs of a script or tool (send it in the header named here,
    /// with the cookie this response sets). 403 for a user who may not act.
    /// </summary>
    public static async Task AntiforgeryAsync(HttpContext http, DashboardState state)
    {
        _ = await DashboardRequest.StartAsync(http, state).ConfigureAwait(false);
        if (!await JobActions.AllowedAsync(http, state.Options).ConfigureAwait(false))
        {
            await WriteAsync(http, StatusCodes.Status403Forbidden, JsonContract.ErrorDocument("refused", "This dashboard is read-only for you: actions need the dashboard's actions policy.")).ConfigureAwait(false);
            return;
        }

        var tokens = http.RequestServices.GetRequiredService<IAntiforgery>().GetAndStoreTokens(http);
        var json = new System.Text.Json.Nodes.JsonObject { ["formatVersion"] = 1, ["headerName"] = tokens.HeaderName, ["token"] = tokens.RequestToken };
        await WriteAsync(http, StatusCodes.Status200OK, json.ToJsonString()).ConfigureAwait(false);
    }

    /// <summary>
    /// <c>POST api/jobs/{name}/trigger|pause|resume</c> with an optional JSON body <c>{"reason": "…", "until": "…"}</c> and
    /// the antiforgery header: the job afterwards, as <c>distcron pause --json</c> prints it.
    /// </summary>
    public static async Task ActAsync(HttpContext http, DashboardState state, string name, string verb)
    {
        var request = await DashboardRequest.StartAsync(http, state).ConfigureAwait(false);
        if (!JobActions.IsVerb(verb))
        {
            await WriteAsync(http, StatusCodes.Status404NotFound, JsonContract.ErrorDocument("not_found", "Unknown action: use trigger, pause or resume.")).ConfigureAwait(false);
            return;
        }

        if (!await JobActions.AllowedAsync(http, state.Options).ConfigureAwait(false))
        {
            await WriteAsync(http, StatusCodes.Status403Forbidden, JsonContract.ErrorDocument("refused", "This dashboard is read-only for you: actions need the dashboard's actions policy.")).ConfigureAwait(false);
            return;
        }

        if (!await JobActions.ValidTokenAsync(http).ConfigureAwait(false))
        {
            await WriteAsync(http, StatusCodes.Status400BadRequest, JsonContract.ErrorDocument("usage", "The antiforgery token is missing or invalid.")).ConfigureAwait(false);
            return;
        }

        string? reason = null;
        string? untilText = null;
        if (http.Request.ContentLength is > 0 || http.Request.Headers.TransferEncoding.Count > 0)
        {
            try
            {
                using var body = await System.Text.Json.JsonDocument.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted).ConfigureAwait(false);
                if (body.RootElement.TryGetProperty("reason", out var r) && r.ValueKind == System.Text.Json.JsonValueKind.String) reason = r.GetString();
                if (body.RootElement.TryGetProperty("until", out var u) && u.ValueKind == System.Text.Json.JsonValueKind.String) untilText = u.GetString();
            }
            catch (System.Text.Json.JsonException)
            {
                await WriteAsync(http, StatusCodes.Status400BadRequest, JsonContract.ErrorDocument("usage", "The body must be a JSON object such as {\"reason\": \"…\", \"until\": \"2026-01-31T18:00:00Z\"}.")).ConfigureAwait(false);
                return;
            }
        }

        if (!JobActions.TryParseUntil(untilText, out var until))
        {
            await WriteAsync(http, StatusCodes.Status400BadRequest, JsonContract.ErrorDocument("usage", "until must be an ISO 8601 time, e.g. 2026-01-31T18:00:00Z.")).ConfigureAwait(false);
            return;
        }

        var failure = await JobActions.RunAsync(state.Client, verb, name, JobActions.Actor(http), reason, verb == JobActions.Pause ? until : null, http.RequestAborted).ConfigureAwait(false);
        if (failure is not null)
        {
            await WriteAsync(http, failure.StatusCode, JsonContract.ErrorDocument(failure.Code, failure.Message)).ConfigureAwait(false);
            return;
        }

        var job = await state.Client.GetJobAsync(name, http.RequestAborted).ConfigureAwait(false);
        await WriteAsync(http, StatusCodes.Status200OK, JsonContract.JobDocument(verb, state.Client.App, request.Now, job)).ConfigureAwait(false);
    }

    // The CLI's history options, by the same names: limit (1-1000, default 20), before (a run id), status.
    private static bool TryQuery(DashboardRequest request, out HistoryQuery query, out string problem)
    {
        query = new HistoryQuery(20);
        problem = "";
        if (request.Query("limit") is { } limitText)
        {
            if (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out var limit) || limit is < 1 or > HistoryQuery.MaxLimit)
            {
                problem = $"limit must be a whole number from 1 to {HistoryQuery.MaxLimit}.";
                return false;
            }

            query = query with { Limit = limit };
        }

        if (request.Query("before") is { } beforeText)
        {
            if (!long.TryParse(beforeText, NumberStyles.None, CultureInfo.InvariantCulture, out var before))
            {
                problem = "before must be a run id (a whole number): the last id of the previous page.";
                return false;
            }

            query = query with { BeforeId = before };
        }

        if (request.Query("status") is { } statusText)
        {
            if (!Enum.TryParse<RunStatus>(statusText, ignoreCase: true, out var status) || !Enum.IsDefined(status) || char.IsDigit(statusText[0]))
            {
                problem = "status must be one of succeeded, failed, timedout, skipped.";
                return false;
            }

            query = query with { Status = status };
        }

        return true;
    }

    private static async Task WriteAsync(HttpContext http, int statusCode, string json)
    {
        http.Response.StatusCode = statusCode;
        http.Response.ContentType = "application/json; charset=utf-8";
        http.Response.Headers.CacheControl = "no-store";
        await http.Response.WriteAsync(json, Encoding.UTF8, http.RequestAborted).ConfigureAwait(false);
    }
}
