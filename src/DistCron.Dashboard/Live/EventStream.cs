using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace DistCron.Dashboard.Live;

/// <summary>
/// The server-sent-events endpoint: <c>event: changed</c> each time the process's <see cref="ChangeFeed"/> sees the
/// store change, and a comment line every <see cref="KeepAlive"/> so proxies do not close an idle stream. Plain HTTP:
/// no WebSocket, no sticky session (any instance serves any stream).
/// </summary>
internal static class EventStream
{
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    public static async Task RunAsync(HttpContext http, DashboardState state)
    {
        SecurityHeaders.Apply(http.Response);
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-store";
        // nginx buffers responses unless told not to; a buffered event stream delivers nothing.
        http.Response.Headers["X-Accel-Buffering"] = "no";
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

        // A stream never ends by itself: without the app's stopping token, every open page would hold the app's
        // graceful shutdown until its timeout, and the browser reconnects to another instance anyway.
        var stopping = http.RequestServices.GetService<IHostApplicationLifetime>()?.ApplicationStopping ?? CancellationToken.None;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, stopping);
        var ct = linked.Token;
        var feed = state.Feed;
        using var subscription = feed.Subscribe();
        var seen = feed.Version;
        try
        {
            await WriteAsync(http, "retry: 5000\n\n", ct).ConfigureAwait(false);
            Task? keepAlive = null; // one timer at a time, however many changes arrive in between
            while (!ct.IsCancellationRequested)
            {
                var changed = feed.WhenChangedAsync(seen);
                keepAlive ??= Task.Delay(KeepAlive, ct);
                var first = await Task.WhenAny(changed, keepAlive).ConfigureAwait(false);
                if (first == changed)
                {
                    seen = feed.Version;
                    await WriteAsync(http, $"event: changed\ndata: {seen.ToString(CultureInfo.InvariantCulture)}\n\n", ct).ConfigureAwait(false);
                }
                else
                {
                    keepAlive = null;
                    await WriteAsync(http, ": keep-alive\n\n", ct).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The page was closed, or the app is stopping.
        }
    }

    private static async Task WriteAsync(HttpContext http, string text, CancellationToken ct)
    {
        await http.Response.WriteAsync(text, ct).ConfigureAwait(false);
        await http.Response.Body.FlushAsync(ct).ConfigureAwait(false);
    }
}
