using System.Globalization;
using DistCron.Storage;

namespace DistCron.Cli;

/// <summary>The tables people read (scripts use <c>--json</c>).</summary>
internal static class TextOutput
{
    public const string NoJobsHint =
        "Jobs appear when a node of this app starts. Check --app ('distcron apps' lists the apps; a node's app is " +
        "DistCronOptions.App, 'default' unless set) and --schema.";

    public static void Jobs(TextWriter output, string app, IReadOnlyList<JobRow> jobs, DateTimeOffset now)
    {
        if (jobs.Count == 0)
        {
            output.WriteLine($"No jobs in app '{app}'. {NoJobsHint}");
            return;
        }

        Table.Write(output, ["JOB", "SCHEDULE", "TIME ZONE", "NEXT DUE (UTC)", "STATE", "LAST FINISHED (UTC)", "LAST STATUS", "LAST DURATION", "LAST NODE", "LAST ERROR"],
            jobs.Select(j => new[]
            {
                j.Name, j.Schedule, j.TimeZone, Time(j.NextDueAt), State(j, now), Time(j.LastFinishedAt),
                j.LastStatus?.ToString() ?? "-", Duration(j.LastDuration), j.LastNode ?? "-", Short(j.Error ?? j.LastError),
            }));
    }

    public static void History(TextWriter output, IReadOnlyList<RunRecord> runs, int limit)
    {
        if (runs.Count == 0)
        {
            output.WriteLine("No runs.");
            return;
        }

        Table.Write(output, ["ID", "JOB", "OCCURRENCE (UTC)", "ATTEMPT", "STATUS", "MANUAL", "NODE", "FINISHED (UTC)", "DURATION", "ERROR"],
            runs.Select(r => new[]
            {
                r.Id.ToString(CultureInfo.InvariantCulture), r.JobName, Time(r.OccurrenceAt), r.Attempt.ToString(CultureInfo.InvariantCulture),
                r.Status.ToString(), r.IsManualTrigger ? "yes" : "no", r.NodeId, Time(r.FinishedAt), Duration(r.Duration),
                Short(r.ErrorType is null ? r.ErrorMessage : $"{r.ErrorType}: {r.ErrorMessage}"),
            }));
        if (runs.Count == limit) output.WriteLine($"More may exist: add --before {runs[^1].Id.ToString(CultureInfo.InvariantCulture)}");
    }

    public static void Audit(TextWriter output, IReadOnlyList<AuditRecord> rows, int limit)
    {
        if (rows.Count == 0)
        {
            output.WriteLine("No audit rows.");
            return;
        }

        Table.Write(output, ["ID", "AT (UTC)", "ACTOR", "ACTION", "JOB", "UNTIL (UTC)", "REASON"],
            rows.Select(r => new[]
            {
                r.Id.ToString(CultureInfo.InvariantCulture), Time(r.At), r.Actor, r.Action.ToString().ToLowerInvariant(), r.JobName,
                r.PauseUntil is null ? "" : Time(r.PauseUntil), Short(r.Reason),
            }));
        if (rows.Count == limit) output.WriteLine($"More may exist: add --before {rows[^1].Id.ToString(CultureInfo.InvariantCulture)}");
    }

    public static void Nodes(TextWriter output, string app, IReadOnlyList<NodeRow> nodes, DateTimeOffset now)
    {
        if (nodes.Count == 0)
        {
            output.WriteLine($"No nodes registered in app '{app}'.");
            return;
        }

        Table.Write(output, ["NODE", "HOST", "PID", "STARTED (UTC)", "LAST HEARTBEAT", "VERSION", "JOBS"],
            nodes.Select(n => new[]
            {
                n.NodeId, n.Host, n.ProcessId.ToString(CultureInfo.InvariantCulture), Time(n.StartedAt),
                $"{Math.Max(0, (now - n.HeartbeatAt).TotalSeconds):0} s ago", Version(n), n.JobNames.Count.ToString(CultureInfo.InvariantCulture),
            }));
    }

    // DistCron's version, then the app's DeploymentVersion when set; "-" when the node did not report one (an older DistCron).
    private static string Version(NodeRow node) => (node.LibraryVersion, node.DeploymentVersion) switch
    {
        (null, null) => "-",
        (var library, null) => library!,
        (var library, { } deployment) => $"{library ?? "-"} (deployment {deployment.ToString(CultureInfo.InvariantCulture)})",
    };

    public static string State(JobRow job, DateTimeOffset now)
    {
        var states = new List<string>();
        if (job.Error is not null) states.Add("errored");
        if (job.Disabled) states.Add("disabled by configuration");
        if (job.Paused) states.Add("paused");
        if (job.Orphaned) states.Add("orphaned");
        if (job.OwnerNode is not null && job.LeaseUntil > now) states.Add("running");
        if (job.TriggerRequestedAt is not null) states.Add("triggered");
        return states.Count == 0 ? "scheduled" : string.Join(",", states);
    }

    /// <summary>The last hour's totals, then one line per minute that had runs.</summary>
    public static void Activity(TextWriter output, RunActivity activity)
    {
        output.WriteLine($"{activity.Runs} runs, {activity.Failures} failed in the last hour ({Time(activity.From)} - {Time(activity.To)} UTC, database clock)");
        foreach (var bucket in activity.Buckets.Where(b => b.Runs > 0))
        {
            output.WriteLine($"  {Time(bucket.End)}  {bucket.Runs,5} runs  {bucket.Failures,5} failed");
        }
    }

    /// <summary>p50/p95 of the job's last runs, by nearest rank.</summary>
    public static void Durations(TextWriter output, string job, DurationStats stats)
    {
        if (stats.Runs.Count == 0)
        {
            output.WriteLine($"'{job}' has no finished run yet.");
            return;
        }

        output.WriteLine($"'{job}': p50 {Duration(stats.P50)}, p95 {Duration(stats.P95)} over its last {stats.Runs.Count} runs (of up to {stats.Window}; nearest rank), {stats.Runs.Count(r => r.IsFailure)} failed; longest {Duration(stats.Runs.Max(r => r.Duration))}");
    }

    public static string Time(DateTimeOffset? time) =>
        time?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) ?? "-";

    private static string Duration(TimeSpan? duration) =>
        duration is { } d ? d.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture) + " s" : "-";

    private static string Short(string? text)
    {
        if (string.IsNullOrEmpty(text)) return "-";
        var line = text.ReplaceLineEndings(" ");
        return line.Length > 60 ? line[..59] + "…" : line;
    }
}
