using System.Globalization;
using System.Text;
using DistCron.Json;
using Microsoft.AspNetCore.Http;

namespace DistCron.Dashboard.Api;

/// <summary>
/// The HTTP API: the same documents as the CLI's <c>--json</c> output, written by the same <see cref="JsonContract"/>
/// (envelope with format version, command, app and database time). Errors are <c>{"formatVersion":1,"error":{…}}</c>
/// with the CLI's error code names.
/// </summary>
internal static class ApiEndpoints
{
    public static async Task JobsAsync(HttpContext http, DashboardState state)
    {
        var request = await DashboardRequest.StartAsync(http, state).ConfigureAwait(false);
        var jobs = await state.Client.ListJobsAsync(http.RequestAborted).ConfigureAwait(false);
        await WriteAsync(http, StatusCodes.Status200OK, JsonContract.JobsDocument(state.Client.App, request.Now, jobs)).ConfigureAwait(false);
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

    public static async Task NodesAsync(HttpContext http, DashboardState state)
    {
        var request = await DashboardRequest.StartAsync(http, state).ConfigureAwait(false);
        var nodes = await state.Client.ListNodesAsync(http.RequestAborted).ConfigureAwait(false);
        await WriteAsync(http, StatusCodes.Status200OK, JsonContract.NodesDocument(state.Client.App, request.Now, nodes)).ConfigureAwait(false);
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
