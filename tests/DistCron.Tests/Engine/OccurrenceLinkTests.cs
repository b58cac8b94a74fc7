using System.Collections.Concurrent;
using System.Diagnostics;
using DistCron.Diagnostics;

namespace DistCron.Tests.Engine;

/// <summary>
/// A run's span carries its occurrence and links to the occurrence's context, which every attempt of it shares: a
/// retry is found from its first attempt, and a manual run names its request. Real SQLite store, real
/// <see cref="ActivityListener"/>.
/// </summary>
public sealed class OccurrenceLinkTests : EngineTestBase
{
    protected override EngineStoreFactory CreateStoreFactory() => new SqliteEngineStoreFactory();

    private static ActivityListener Listen(ConcurrentQueue<Activity> stopped, string app)
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == "DistCron",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a =>
            {
                if (((string?)a.GetTagItem("distcron.job.name"))?.EndsWith(app, StringComparison.Ordinal) == true) stopped.Enqueue(a);
            },
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }

    [Fact]
    public async Task A_retry_s_span_links_to_the_same_occurrence_as_its_first_attempt()
    {
        var spans = new ConcurrentQueue<Activity>();
        using var listener = Listen(spans, App);
        var attempts = 0;
        var job = Job("retried-" + App, "0 0 1 1 *", (_, _) =>
            Interlocked.Increment(ref attempts) == 1 ? throw new InvalidOperationException("first attempt fails") : Task.CompletedTask,
            maxRetries: 1, retryDelay: TimeSpan.Zero);
        await PreSeedAsync(job, now => now);
        await StartNodeAsync([job]);
        await WaitUntilAsync(() => spans.Count >= 2, "both attempts' spans end");

        var ordered = spans.OrderBy(s => (int)s.GetTagItem("distcron.run.attempt")!).ToArray();
        Assert.Equal([1, 2], ordered.Select(s => (int)s.GetTagItem("distcron.run.attempt")!));
        Assert.Equal(["Failed", "Succeeded"], ordered.Select(s => (string?)s.GetTagItem("distcron.run.status")));
        var occurrence = Assert.Single(ordered.Select(s => (string?)s.GetTagItem("distcron.run.occurrence")).Distinct());
        var record = Assert.Single(await HistoryAsync(job.Name), r => r.Attempt == 1);
        var expected = OccurrenceLink.ContextFor(App, job.Name, record.OccurrenceAt);
        Assert.All(ordered, span =>
        {
            var link = Assert.Single(span.Links);
            Assert.Equal(expected.TraceId, link.Context.TraceId);
            Assert.Equal(expected.SpanId, link.Context.SpanId);
            Assert.Contains(link.Tags!, t => t.Key == "distcron.run.occurrence" && (string?)t.Value == occurrence);
        });
        Assert.NotEqual(ordered[0].TraceId, ordered[1].TraceId); // separate runs; the link is what ties them
    }

    [Fact]
    public async Task A_manual_run_s_span_says_so_and_links_to_its_request()
    {
        var spans = new ConcurrentQueue<Activity>();
        using var listener = Listen(spans, App);
        var job = Job("manual-" + App, "0 0 1 1 *", (_, _) => Task.CompletedTask);
        await PreSeedAsync(job, now => now.AddYears(1));
        await StartNodeAsync([job]);
        Assert.True(await (await InspectAsync()).TriggerAsync(App, job.Name, DistCron.Storage.OperatorAction.Unattributed, CancellationToken.None));
        await WaitUntilAsync(() => !spans.IsEmpty, "the manual run's span ends");

        var span = Assert.Single(spans);
        Assert.Equal(true, span.GetTagItem("distcron.run.manual"));
        var record = Assert.Single(await HistoryAsync(job.Name));
        Assert.True(record.IsManualTrigger);
        var link = Assert.Single(span.Links);
        Assert.Equal(OccurrenceLink.ContextFor(App, job.Name, record.OccurrenceAt), link.Context);
        Assert.Equal(OccurrenceLink.Format(record.OccurrenceAt), span.GetTagItem("distcron.run.occurrence"));
    }
}
