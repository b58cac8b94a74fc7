using DistCron.Dashboard.Html;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace DistCron.Dashboard.Pages;

/// <summary>
/// The actions in plain HTML, so they work without script: the job page links to a confirmation page (GET, changes
/// nothing) whose form, with its antiforgery token, POSTs the action; the POST redirects back to the job (303).
/// </summary>
internal static class ActionPages
{
    public static async Task ConfirmAsync(DashboardRequest request, string name, string verb)
    {
        if (!await GuardAsync(request, verb, checkToken: false).ConfigureAwait(false)) return;
        var http = request.Http;
        JobRow job;
        try
        {
            job = await request.Client.GetJobAsync(name, http.RequestAborted).ConfigureAwait(false);
        }
        catch (DistCronJobNotFoundException e)
        {
            await MessageAsync(request, "Job not found", e.Message, StatusCodes.Status404NotFound).ConfigureAwait(false);
            return;
        }

        // Before the page is written: the token pair sets its cookie on this response.
        var tokens = http.RequestServices.GetRequiredService<IAntiforgery>().GetAndStoreTokens(http);
        var jobLink = request.Link("/jobs/" + Uri.EscapeDataString(job.Name));
        var title = verb switch { JobActions.Trigger => "Trigger now", JobActions.Pause => "Pause", _ => "Resume" } + ": " + job.Name;
        await Layout.WriteAsync(request, title, "jobs", h =>
        {
            h.Add($"""<form class="action" method="post" action="{request.Link("/jobs/" + Uri.EscapeDataString(job.Name) + "/actions/" + verb)}">""");
            h.Add($"""<input type="hidden" name="{tokens.FormFieldName}" value="{tokens.RequestToken}">""");
            switch (verb)
            {
                case JobActions.Trigger:
                    h.Add($"""<p>Run <strong>{job.Name}</strong> once, as soon as a node with its code is free{(job.Paused ? " (it is paused: it still runs once)" : "")}. Its schedule is unchanged.</p>""");
                    h.Add($"""<p><label for="reason">Reason (optional)</label><br><input id="reason" name="reason" maxlength="2000" size="60"></p>""");
                    break;
                case JobActions.Pause:
                    h.Add($"""<p>Stop scheduling <strong>{job.Name}</strong>. A run in progress finishes.{(job.Paused ? " It is already paused: this replaces its reason and end." : "")}</p>""");
                    h.Add($"""<p><label for="reason">Reason (required)</label><br><input id="reason" name="reason" required maxlength="2000" size="60"></p>""");
                    h.Add($"""<p><label for="until">Resume by itself after (UTC, optional)</label><br><input id="until" name="until" type="datetime-local" step="1"></p>""");
                    break;
                default:
                    h.Add($"""<p>Resume <strong>{job.Name}</strong> at its next occurrence after now; occurrences missed while paused are not run.</p>""");
                    if (job.PauseReason is not null) h.Add($"""<p>Paused because: {job.PauseReason}</p>""");
                    h.Add($"""<p><label for="reason">Reason (optional)</label><br><input id="reason" name="reason" maxlength="2000" size="60"></p>""");
                    break;
            }

            h.Add($"""<p><button type="submit">Confirm {verb}</button> <a href="{jobLink}">Cancel</a></p></form>""");
        }).ConfigureAwait(false);
    }

    public static async Task SubmitAsync(DashboardRequest request, string name, string verb)
    {
        if (!await GuardAsync(request, verb, checkToken: true).ConfigureAwait(false)) return;
        var http = request.Http;
        var form = await http.Request.ReadFormAsync(http.RequestAborted).ConfigureAwait(false);
        var reason = form["reason"].ToString();
        if (!JobActions.TryParseUntil(form["until"].ToString(), out var until))
        {
            await MessageAsync(request, "Not done", "The pause's end is not a date and time (UTC).", StatusCodes.Status400BadRequest).ConfigureAwait(false);
            return;
        }

        var failure = await JobActions.RunAsync(request.Client, verb, name, JobActions.Actor(http), reason, verb == JobActions.Pause ? until : null, http.RequestAborted).ConfigureAwait(false);
        if (failure is not null)
        {
            await MessageAsync(request, "Not done", failure.Message, failure.StatusCode).ConfigureAwait(false);
            return;
        }

        http.Response.StatusCode = StatusCodes.Status303SeeOther;
        http.Response.Headers.Location = request.Link("/jobs/" + Uri.EscapeDataString(name));
    }

    // 404 for an unknown verb, 403 when actions are off or the user may not act, 400 for a POST without a valid token.
    private static async Task<bool> GuardAsync(DashboardRequest request, string verb, bool checkToken)
    {
        if (!JobActions.IsVerb(verb))
        {
            await MessageAsync(request, "Not found", "Unknown action: use trigger, pause or resume.", StatusCodes.Status404NotFound).ConfigureAwait(false);
            return false;
        }

        if (!await JobActions.AllowedAsync(request.Http, request.Options).ConfigureAwait(false))
        {
            await MessageAsync(request, "Forbidden", "This dashboard is read-only for you: actions need the dashboard's actions policy.", StatusCodes.Status403Forbidden).ConfigureAwait(false);
            return false;
        }

        if (checkToken && !await JobActions.ValidTokenAsync(request.Http).ConfigureAwait(false))
        {
            await MessageAsync(request, "Not done", "The form's antiforgery token is missing or invalid: open the job's page and try again.", StatusCodes.Status400BadRequest).ConfigureAwait(false);
            return false;
        }

        return true;
    }

    private static Task MessageAsync(DashboardRequest request, string title, string message, int status) =>
        Layout.WriteAsync(request, title, "jobs", h => h.Add($"""<p class="error">{message}</p><p><a href="{request.Link("/jobs")}">All jobs</a></p>"""), status);
}
