using System.Globalization;

namespace DistCron.Dashboard.Html;

/// <summary>How times and durations read on the pages: UTC, to the second, with an age against the database's now.</summary>
internal static class Format
{
    public static string Utc(DateTimeOffset? at) =>
        at is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + "Z" : "—";

    /// <summary>The machine-readable form for a &lt;time datetime&gt; attribute.</summary>
    public static string Iso(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);

    /// <summary>A local time of a job's zone, with its offset.</summary>
    public static string Zoned(DateTimeOffset at) => at.ToString("yyyy-MM-dd HH:mm:ss zzz", CultureInfo.InvariantCulture);

    /// <summary>"in 4m 10s" or "12s ago", relative to <paramref name="now"/>.</summary>
    public static string Relative(DateTimeOffset? at, DateTimeOffset now)
    {
        if (at is not { } t) return "";
        var delta = t - now;
        return delta >= TimeSpan.Zero ? "in " + Span(delta) : Span(-delta) + " ago";
    }

    public static string Span(TimeSpan span)
    {
        if (span < TimeSpan.Zero) span = TimeSpan.Zero; // a heartbeat a hair after the read of now
        if (span < TimeSpan.FromSeconds(1)) return span.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture) + "ms";
        if (span < TimeSpan.FromMinutes(1)) return span.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture) + "s";
        if (span < TimeSpan.FromHours(1)) return $"{(int)span.TotalMinutes}m {span.Seconds}s";
        if (span < TimeSpan.FromDays(1)) return $"{(int)span.TotalHours}h {span.Minutes}m";
        return $"{(int)span.TotalDays}d {span.Hours}h";
    }

    public static string Duration(TimeSpan? span) => span is { } s ? Span(s) : "—";

    /// <summary>A one-line excerpt of a long text (the full text is on the job's page).</summary>
    public static string Excerpt(string? text, int max = 120)
    {
        if (string.IsNullOrEmpty(text)) return "";
        var line = text.ReplaceLineEndings(" ");
        return line.Length <= max ? line : string.Concat(line.AsSpan(0, max), "…");
    }

    public static string Status(RunStatus? status) => status switch
    {
        RunStatus.Succeeded => "succeeded",
        RunStatus.Failed => "failed",
        RunStatus.TimedOut => "timedout",
        RunStatus.Skipped => "skipped",
        _ => "never",
    };
}
