using System.Net;
using DistCron.Dashboard.Live;
using DistCron.Storage;
using DistCron.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace DistCron.Tests.Dashboard;

/// <summary>
/// The server-sent-events stream says "changed" when the store changes (a trigger, a run's completion), from one
/// poller per process that every open stream shares and that stops when the last stream closes.
/// </summary>
public sealed class DashboardEventsTests : DashboardTestBase
{
    private static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task The_stream_emits_changed_after_a_trigger_and_after_a_run_and_all_streams_share_one_poller()
    {
        await using var host = await DashboardHost.StartAsync(DatabasePath, App, DashboardHost.Anonymous());
        var feed = FeedOf(host);
        Assert.False(feed.IsPolling); // no page open, no reads
        using var first = await EventReader.OpenAsync(host);
        using var second = await EventReader.OpenAsync(host);
        Assert.True(feed.IsPolling);

        // The poller's first read is its baseline: a change made before it is not a change. Change until one is seen
        // (pause and trigger, then resume, so that every round changes the row).
        var deadline = DateTime.UtcNow + EventTimeout;
        var seen = false;
        while (!seen && DateTime.UtcNow < deadline)
        {
            Assert.True(await Store.PauseAsync(App, "nightly", Ct));
            Assert.True(await Store.TriggerAsync(App, "nightly", Ct));
            seen = await first.NextEventAsync("changed", TimeSpan.FromSeconds(1));
            if (!seen) Assert.NotEqual(ResumeOutcome.NotFound, await Store.ResumeAsync(App, "nightly", null, null, Ct));
        }

        Assert.True(seen, "no 'changed' event after a trigger");
        Assert.True(await second.NextEventAsync("changed", EventTimeout), "the second stream got no 'changed' event");

        // A run: claimed, then completed. Each is a change the pages show.
        var claimed = (await Store.ClaimDueAsync(new ClaimRequest(App, "node-a", 10, TimeSpan.FromMinutes(1)), Ct)).Claimed;
        var claim = claimed.First(c => c.Token.JobName == "nightly");
        Assert.True(await first.NextEventAsync("changed", EventTimeout), "no 'changed' event after a claim");
        Assert.True(await Store.CompleteAsync(new Completion(claim.Token, RunStatus.Succeeded, claim.OccurrenceAt, 1, null, TimeSpan.FromSeconds(1),
            null, null, null, null, 1, IsManualTrigger: true), Ct));
        Assert.True(await first.NextEventAsync("changed", EventTimeout), "no 'changed' event after a run completed");

        first.Dispose();
        second.Dispose();
        await Eventually.TrueAsync(() => !feed.IsPolling, "the poller stops when no stream is open", TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task An_open_stream_ends_when_the_app_stops_instead_of_holding_its_shutdown()
    {
        // A shutdown timeout far longer than the test's wait: a stream that ignored the stop would hold StopAsync.
        var host = await DashboardHost.StartAsync(DatabasePath, App, DashboardHost.Anonymous(),
            configure: builder => builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromMinutes(10)));
        using var stream = await EventReader.OpenAsync(host);
        await host.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.False(await stream.NextEventAsync("changed", TimeSpan.FromSeconds(5)));
    }

    // Every mapping over the same client shares the process's one feed: this returns the host's.
    private static ChangeFeed FeedOf(DashboardHost host) =>
        ChangeFeed.For(host.Services.GetRequiredService<IDistCronClient>(), TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1), NullLogger.Instance);

    /// <summary>Reads an event stream line by line, one read outstanding at a time.</summary>
    internal sealed class EventReader : IDisposable
    {
        private readonly HttpResponseMessage _response;
        private readonly StreamReader _reader;
        private Task<string?>? _pending;

        private EventReader(HttpResponseMessage response, Stream stream)
        {
            _response = response;
            _reader = new StreamReader(stream);
        }

        public static async Task<EventReader> OpenAsync(DashboardHost host)
        {
            var response = await host.Http.GetAsync("distcron/events", HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
            Assert.Contains("default-src 'self'", string.Join(";", response.Headers.GetValues("Content-Security-Policy")));
            var reader = new EventReader(response, await response.Content.ReadAsStreamAsync());
            // Written after the subscription: from here on the stream is counted.
            Assert.Equal("retry: 5000", await reader.ReadLineAsync(EventTimeout));
            return reader;
        }

        public async Task<string?> ReadLineAsync(TimeSpan timeout)
        {
            _pending ??= _reader.ReadLineAsync();
            var done = await Task.WhenAny(_pending, Task.Delay(timeout));
            if (done != _pending) return null;
            var line = await _pending;
            _pending = null;
            return line;
        }

        public async Task<bool> NextEventAsync(string name, TimeSpan timeout)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (DateTime.UtcNow < deadline)
            {
                var line = await ReadLineAsync(deadline - DateTime.UtcNow);
                if (line is null) return false;
                if (line == "event: " + name) return true;
            }

            return false;
        }

        public void Dispose()
        {
            _reader.Dispose();
            _response.Dispose();
        }
    }
}
