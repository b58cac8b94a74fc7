using System.Globalization;
using DistCron.Dashboard.Html;

namespace DistCron.Dashboard.Pages;

/// <summary>
/// The run statistics as small bar charts drawn on the server as inline SVG: no script, no style attribute (the
/// Content-Security-Policy allows neither), colours from classes in dashboard.css. Every chart has a text equivalent: a
/// visible sentence with the figures, a &lt;title&gt; and &lt;desc&gt; that name it for screen readers, and a
/// &lt;title&gt; per bar that a pointer shows. Every hole is encoded by <see cref="HtmlBuilder"/>.
/// </summary>
internal static class RunCharts
{
    private const int Height = 60;
    private const int Slot = 10;
    private const int Bar = 8;

    /// <summary>The overview's section: runs and failures per minute of the last hour by the database clock.</summary>
    public static void Activity(HtmlBuilder h, RunActivity activity)
    {
        var buckets = activity.Buckets;
        var minutes = (int)Math.Round((activity.To - activity.From).TotalMinutes);
        var peak = buckets.Count == 0 ? 0 : buckets.Max(b => b.Runs);
        var summary = $"{Runs(activity.Runs)}, {activity.Failures} failed in the last hour";
        var perMinute = (activity.Runs / (double)Math.Max(1, minutes)).ToString("0.#", CultureInfo.InvariantCulture);
        h.Add($"""
            <section id="activity" data-live aria-labelledby="activity-heading"><h2 id="activity-heading">Runs per minute</h2>
            <p class="chart-total"><strong>{summary}</strong> · {perMinute} per minute on average, busiest minute {peak} · by database time, up to {Format.Utc(activity.To)}</p>
            """);
        var width = buckets.Count * Slot;
        h.Add($"""
            <svg class="chart" viewBox="0 0 {width} {Height}" width="{width}" height="{Height}" role="img" aria-labelledby="activity-title activity-desc">
            <title id="activity-title">Runs per minute over the last hour</title>
            <desc id="activity-desc">{summary}. One bar per minute, oldest on the left; the part of a bar in the failure colour is its failed and timed-out runs.</desc>
            <line class="chart-axis" x1="0" y1="{Height - 0.5}" x2="{width}" y2="{Height - 0.5}"/>
            """);
        for (var i = 0; i < buckets.Count; i++)
        {
            var bucket = buckets[i];
            if (bucket.Runs == 0) continue;
            var x = i * Slot + 1;
            var runs = Scale(bucket.Runs, peak);
            var label = $"{Format.Utc(bucket.Start)} – {Format.Utc(bucket.End)}: {Runs(bucket.Runs)}, {bucket.Failures} failed";
            h.Add($"""<g><title>{label}</title><rect class="bar-run" x="{x}" y="{Height - runs}" width="{Bar}" height="{runs}"/>""");
            if (bucket.Failures > 0)
            {
                var failed = Math.Min(runs, Scale(bucket.Failures, peak));
                h.Add($"""<rect class="bar-failed" x="{x}" y="{Height - failed}" width="{Bar}" height="{failed}"/>""");
            }

            h.Add($"""</g>""");
        }

        h.Add($"""</svg><p class="chart-scale"><span>{Format.Utc(activity.From)}</span><span>now</span></p></section>""");
    }

    /// <summary>
    /// The job page's section: p50 and p95 of the last runs' durations (nearest rank) and a bar per run, oldest on the
    /// left, coloured by outcome.
    /// </summary>
    public static void Durations(HtmlBuilder h, DurationStats stats)
    {
        h.Add($"""<section id="durations" data-live aria-labelledby="durations-heading"><h2 id="durations-heading">Durations of the last {stats.Window} runs</h2>""");
        if (stats.Runs.Count == 0)
        {
            h.Add($"""<p class="empty">No finished run yet: the figures cover the last {stats.Window} runs that ran (skipped occurrences excluded).</p></section>""");
            return;
        }

        var failures = stats.Runs.Count(r => r.IsFailure);
        var summary = $"p50 {Format.Duration(stats.P50)}, p95 {Format.Duration(stats.P95)} over the last {Runs(stats.Runs.Count)}";
        h.Add($"""
            <p class="chart-total"><strong>{summary}</strong> ({failures} failed) · N = {stats.Window}: the job's last {stats.Window} finished runs, {stats.Runs.Count} recorded · nearest-rank percentiles: p95 is the duration at rank ⌈0.95 × n⌉ of the sorted durations</p>
            """);
        var longest = stats.Runs.Max(r => r.Duration);
        var width = stats.Window * Slot;
        h.Add($"""
            <svg class="chart" viewBox="0 0 {width} {Height}" width="{width}" height="{Height}" role="img" aria-labelledby="durations-title durations-desc">
            <title id="durations-title">Durations of the last {Runs(stats.Runs.Count)}</title>
            <desc id="durations-desc">{summary}, {failures} failed; longest {Format.Duration(longest)}. One bar per run, oldest on the left, height proportional to its duration; failed and timed-out runs in their own colours.</desc>
            <line class="chart-axis" x1="0" y1="{Height - 0.5}" x2="{width}" y2="{Height - 0.5}"/>
            """);
        var oldestFirst = Enumerable.Reverse(stats.Runs).ToList();
        for (var i = 0; i < oldestFirst.Count; i++)
        {
            var run = oldestFirst[i];
            var bar = Scale(run.Duration.Ticks, longest.Ticks);
            var status = Format.Status(run.Status);
            h.Add($"""<rect class="bar-{status}" x="{i * Slot + 1}" y="{Height - bar}" width="{Bar}" height="{bar}"><title>Run {run.Id}: {status}, {Format.Duration(run.Duration)}, finished {Format.Utc(run.FinishedAt)}</title></rect>""");
        }

        if (stats.P95 is { } p95)
        {
            var y = Height - Scale(p95.Ticks, longest.Ticks);
            h.Add($"""<line class="chart-p95" x1="0" y1="{y}" x2="{width}" y2="{y}"><title>p95 {Format.Duration(p95)}</title></line>""");
        }

        h.Add($"""</svg></section>""");
    }

    private static string Runs(int count) => count == 1 ? "1 run" : count.ToString(CultureInfo.InvariantCulture) + " runs";

    /// <summary>A bar's height for <paramref name="value"/> of <paramref name="max"/>: at least 1 for any non-zero value, so a short run still shows.</summary>
    internal static int Scale(long value, long max)
    {
        if (value <= 0 || max <= 0) return 0;
        var height = (int)Math.Round(Height * ((double)value / max));
        return Math.Clamp(height, 1, Height);
    }
}
