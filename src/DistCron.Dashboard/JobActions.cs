using System.Globalization;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace DistCron.Dashboard;

/// <summary>
/// The dashboard's actions (trigger, pause, resume), shared by the HTML forms and the JSON API: who may act, the
/// antiforgery check, and the call to the client with the request's user as the audit row's actor.
/// </summary>
internal static class JobActions
{
    public const string Trigger = "trigger";
    public const string Pause = "pause";
    public const string Resume = "resume";

    public static bool IsVerb(string verb) => verb is Trigger or Pause or Resume;

    /// <summary>Actions are enabled and the request's user meets their policy (the buttons show only then).</summary>
    public static async Task<bool> AllowedAsync(HttpContext http, DistCronDashboardOptions options)
    {
        if (options.ActionsPolicy is not { } policy) return false;
        var authorization = http.RequestServices.GetService<IAuthorizationService>();
        return authorization is not null && (await authorization.AuthorizeAsync(http.User, policy).ConfigureAwait(false)).Succeeded;
    }

    /// <summary>The request carries a valid antiforgery token (form field or header) matching its cookie.</summary>
    public static Task<bool> ValidTokenAsync(HttpContext http) =>
        http.RequestServices.GetRequiredService<IAntiforgery>().IsRequestValidAsync(http);

    /// <summary>The signed-in user's name, as the audit row's actor.</summary>
    public static string Actor(HttpContext http) => http.User.Identity?.Name is { Length: > 0 } name ? name : "anonymous";

    /// <summary>
    /// A pause's end as typed: a time with an offset, or a browser's datetime-local value (no offset), which the form
    /// labels as UTC. Null text: no end.
    /// </summary>
    public static bool TryParseUntil(string? text, out DateTimeOffset? until)
    {
        until = null;
        if (string.IsNullOrWhiteSpace(text)) return true;
        if (!DateTimeOffset.TryParse(text.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at)) return false;
        until = at;
        return true;
    }

    /// <summary>Runs the action; null when done, else the HTTP status, the error code and a message for the user.</summary>
    public static async Task<ActionFailure?> RunAsync(IDistCronClient client, string verb, string name, string actor, string? reason, DateTimeOffset? until, CancellationToken ct)
    {
        if (verb == Pause && string.IsNullOrWhiteSpace(reason))
        {
            return new ActionFailure(StatusCodes.Status400BadRequest, "usage", "A pause needs a reason: it is shown with the job and written to the audit trail.");
        }

        try
        {
            switch (verb)
            {
                case Trigger: await client.TriggerAsync(name, reason, actor, ct).ConfigureAwait(false); break;
                case Pause: await client.PauseAsync(name, reason, until, actor, ct).ConfigureAwait(false); break;
                default: await client.ResumeAsync(name, reason, actor, ct).ConfigureAwait(false); break;
            }

            return null;
        }
        catch (DistCronJobNotFoundException e)
        {
            return new ActionFailure(StatusCodes.Status404NotFound, "not_found", e.Message);
        }
        catch (ArgumentException e)
        {
            return new ActionFailure(StatusCodes.Status400BadRequest, "usage", e.Message);
        }
        catch (InvalidOperationException e)
        {
            return new ActionFailure(StatusCodes.Status409Conflict, "refused", e.Message);
        }
    }
}

/// <summary>Why an action was not done.</summary>
internal sealed record ActionFailure(int StatusCode, string Code, string Message);
