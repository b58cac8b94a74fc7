using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace DistCron.Diagnostics;

/// <summary>
/// The trace context that stands for one occurrence of a job: derived from the app, the job and the occurrence alone,
/// so every run of that occurrence (the first attempt, each retry, on whichever node) links to the same context without
/// the store keeping any trace state. A manual run's occurrence is its request time, so it gets a context of its own.
/// The context is a correlation key: no span of its own is ever recorded under it.
/// </summary>
internal static class OccurrenceLink
{
    public static ActivityContext ContextFor(string app, string job, DateTimeOffset occurrence)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{app}\n{job}\n{occurrence.UtcTicks}")), hash);
        return new ActivityContext(ActivityTraceId.CreateFromBytes(hash[..16]), ActivitySpanId.CreateFromBytes(hash[16..24]),
            ActivityTraceFlags.Recorded, isRemote: true);
    }

    public static ActivityLink For(string app, string job, DateTimeOffset occurrence) =>
        new(ContextFor(app, job, occurrence), new ActivityTagsCollection
        {
            [TelemetryTags.JobName] = job,
            [TelemetryTags.RunOccurrence] = Format(occurrence),
        });

    /// <summary>An occurrence as the span and its link show it: ISO 8601, UTC.</summary>
    public static string Format(DateTimeOffset occurrence) => occurrence.ToUniversalTime().ToString("o", CultureInfo.InvariantCulture);
}
