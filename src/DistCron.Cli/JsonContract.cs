using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace DistCron.Json;

// The one JSON contract of DistCron's operator tools: the CLI's --json output and the dashboard's HTTP API are both
// written by this file (compiled into DistCron.Cli and linked into DistCron.Dashboard), so the two cannot drift apart.
// docs/cli.md and docs/dashboard.md document it.

/// <summary>
/// One document per answer: an envelope with <see cref="FormatVersion"/>, the command, the app and the database time,
/// around complete records. Times are UTC ISO 8601, durations are seconds (numbers), statuses and states are camelCase
/// strings (timedOut).
/// </summary>
internal static class JsonContract
{
    /// <summary>Raised only when a field changes meaning or disappears; new fields do not raise it.</summary>
    public const int FormatVersion = 1;

    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase), new UtcConverter() },
        // Plain text for people reading it too; any JSON parser reads either form.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string Envelope(string command, string app, DateTimeOffset databaseTime, string field, object? payload, params (string Name, object? Value)[] extra)
    {
        var root = new JsonObject
        {
            ["formatVersion"] = FormatVersion,
            ["command"] = command,
            ["app"] = app,
            ["databaseTime"] = JsonSerializer.SerializeToNode(databaseTime, Options),
            [field] = JsonSerializer.SerializeToNode(payload, Options),
        };
        foreach (var (name, value) in extra) root[name] = JsonSerializer.SerializeToNode(value, Options);
        return root.ToJsonString(Options);
    }

    /// <summary>Every job of the app (<c>distcron jobs --json</c>, <c>GET api/jobs</c>).</summary>
    public static string JobsDocument(string app, DateTimeOffset now, IEnumerable<JobRow> jobs) =>
        Envelope("jobs", app, now, "jobs", jobs.Select(j => Job(j, now)).ToArray());

    /// <summary>One job, after <paramref name="command"/> (trigger, pause, resume; <c>job</c> for a plain read).</summary>
    public static string JobDocument(string command, string app, DateTimeOffset now, JobRow job) =>
        Envelope(command, app, now, "job", Job(job, now));

    /// <summary>A history page; <c>nextBefore</c> is the id to pass for the next page (null: this page is the last).</summary>
    public static string HistoryDocument(string app, DateTimeOffset now, IReadOnlyList<RunRecord> runs, int limit) =>
        Envelope("history", app, now, "runs", runs.Select(Run).ToArray(), ("nextBefore", runs.Count == limit ? runs[^1].Id : null));

    /// <summary>The app's registered nodes.</summary>
    public static string NodesDocument(string app, DateTimeOffset now, IEnumerable<NodeRow> nodes) =>
        Envelope("nodes", app, now, "nodes", nodes.Select(n => Node(n, now)).ToArray());

    /// <summary>An audit page, newest first; <c>nextBefore</c> is the id to pass for the next page (null: this page is the last).</summary>
    public static string AuditDocument(string app, DateTimeOffset now, IReadOnlyList<AuditRecord> rows, int limit) =>
        Envelope("audit", app, now, "audit", rows.Select(Audit).ToArray(), ("nextBefore", rows.Count == limit ? rows[^1].Id : null));

    /// <summary>The app's runs and failures per minute of the last hour by the database clock (<c>GET api/stats</c>).</summary>
    public static string StatsDocument(string app, DateTimeOffset now, RunActivity activity) =>
        Envelope("stats", app, now, "activity", Activity(activity));

    /// <summary>A job's last runs' durations with p50/p95 by nearest rank (<c>GET api/jobs/{name}/stats</c>).</summary>
    public static string JobStatsDocument(string app, DateTimeOffset now, string job, DurationStats stats) =>
        Envelope("job-stats", app, now, "durations", Durations(job, stats));

    public static ActivityJson Activity(RunActivity activity) => new(
        activity.From, activity.To, activity.BucketWidth.TotalSeconds, activity.Runs, activity.Failures,
        activity.Buckets.Select(b => new ActivityBucketJson(b.Start, b.End, b.Runs, b.Failures)).ToArray());

    public static DurationsJson Durations(string job, DurationStats stats) => new(
        job, stats.Window, stats.Runs.Count, stats.Runs.Count(r => r.IsFailure), Seconds(stats.P50), Seconds(stats.P95), "nearest-rank",
        stats.Runs.Select(r => new RecentRunJson(r.Id, r.Status, r.FinishedAt, Seconds(r.Duration)!.Value)).ToArray());

    public static AuditJson Audit(AuditRecord row) =>
        new(row.Id, row.JobName, row.Action.ToString().ToLowerInvariant(), row.Actor, row.Reason, row.PauseUntil, row.At);

    /// <summary>An error document without a process exit code (the HTTP API's; the CLI adds its exit code).</summary>
    public static string ErrorDocument(string code, string message) =>
        new JsonObject { ["formatVersion"] = FormatVersion, ["error"] = new JsonObject { ["code"] = code, ["message"] = message } }.ToJsonString(Options);

    /// <summary>The job's one-word state: the first of errored, running, disabled, paused, orphaned that applies, else scheduled.</summary>
    public static string State(JobRow job, DateTimeOffset now) =>
        job.Error is not null ? "errored" : IsRunning(job, now) ? "running" : job.Disabled ? "disabled"
            : job.Paused ? "paused" : job.Orphaned ? "orphaned" : "scheduled";

    /// <summary>A node holds a live lease on the job.</summary>
    public static bool IsRunning(JobRow job, DateTimeOffset now) => job.OwnerNode is not null && job.LeaseUntil > now;

    public static JobJson Job(JobRow job, DateTimeOffset now)
    {
        var running = IsRunning(job, now);
        var state = State(job, now);
        return new JobJson(
            job.Name, job.Schedule, job.TimeZone, state, job.NextDueAt, job.OccurrenceAt, job.Attempt, job.Paused, job.Orphaned,
            job.Error, job.TriggerRequestedAt is not null, job.TriggerRequestedAt,
            running ? new RunningJson(job.OwnerNode!, job.Fence, job.LeaseUntil) : null,
            job.LastStatus is { } status
                ? new LastRunJson(status, job.LastStartedAt, job.LastFinishedAt, Seconds(job.LastDuration), job.LastNode, job.LastError)
                : null,
            job.DefinitionHash, job.ScheduleRevision, job.Disabled, job.PauseReason, job.PauseUntil,
            job.DefinitionVersion, Definition(job.Definition));
    }

    /// <summary>Where the job is declared and its options; null when the store does not know them.</summary>
    public static DefinitionJson? Definition(JobDefinitionInfo? facts) => facts is null ? null : new DefinitionJson(
        facts.DeclaringType, facts.MethodName, facts.IsAddedInCode, facts.Format, facts.Misfire, Seconds(facts.Timeout),
        Seconds(facts.RetryDelay), facts.MaxRetries, facts.OverriddenBy);

    public static RunJson Run(RunRecord run) => new(
        run.Id, run.JobName, run.OccurrenceAt, run.Attempt, run.Status, run.IsManualTrigger, run.NodeId, run.Fence, run.StartedAt,
        run.FinishedAt, Seconds(run.Duration)!.Value, run.ErrorType, run.ErrorMessage);

    public static NodeJson Node(NodeRow node, DateTimeOffset now) => new(
        node.NodeId, node.Host, node.ProcessId, node.StartedAt, node.HeartbeatAt,
        Math.Round(Math.Max(0, (now - node.HeartbeatAt).TotalSeconds), 3), node.JobNames,
        node.LibraryVersion, node.DeploymentVersion, node.Runtime);

    private static double? Seconds(TimeSpan? span) => span is { } s ? Math.Round(s.TotalSeconds, 3) : null;

    private sealed class UtcConverter : JsonConverter<DateTimeOffset>
    {
        public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.GetDateTimeOffset();

        public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) => writer.WriteStringValue(value.UtcDateTime);
    }
}

/// <summary>
/// A job as <c>--json</c> shows it. <c>state</c> is one word: errored, running, disabled (by configuration), paused, orphaned or scheduled (the first
/// that applies); <c>running</c> is the live lease, <c>lastRun</c> the last recorded run (null: never ran).
/// </summary>
internal sealed record JobJson(
    string Name,
    string Schedule,
    string TimeZone,
    string State,
    DateTimeOffset? NextDueAt,
    DateTimeOffset? OccurrenceAt,
    int Attempt,
    bool Paused,
    bool Orphaned,
    string? Error,
    bool TriggerPending,
    DateTimeOffset? TriggerRequestedAt,
    RunningJson? Running,
    LastRunJson? LastRun,
    string DefinitionHash,
    long ScheduleRevision,
    bool Disabled,
    string? PauseReason,
    DateTimeOffset? PauseUntil,
    long? DefinitionVersion,
    DefinitionJson? Definition);

/// <summary>
/// Where a job is declared and the options its stored definition was built from (null as a whole: unknown, the row was
/// written by an older DistCron or a tool). <c>addedInCode</c>: registered with <c>DistCronOptions.AddJob</c> (then
/// declaringType and methodName are <c>DistCronOptions</c> and <c>AddJob</c>). <c>overriddenBy</c>: the configuration
/// keys that changed the declared options (empty: the declaration's own). Durations are seconds (null: none / default).
/// </summary>
internal sealed record DefinitionJson(
    string DeclaringType,
    string MethodName,
    bool AddedInCode,
    CronFormat Format,
    MisfirePolicy Misfire,
    double? TimeoutSeconds,
    double? RetryDelaySeconds,
    int MaxRetries,
    IReadOnlyList<string> OverriddenBy);

/// <summary>One audit row: <c>action</c> is pause, resume or trigger; <c>at</c> is the database's time of the action.</summary>
internal sealed record AuditJson(long Id, string Job, string Action, string Actor, string? Reason, DateTimeOffset? PauseUntil, DateTimeOffset At);

/// <summary>The live lease of a job being run.</summary>
internal sealed record RunningJson(string Node, long Fence, DateTimeOffset? LeaseUntil);

/// <summary>The last recorded run of a job.</summary>
internal sealed record LastRunJson(RunStatus Status, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, double? DurationSeconds, string? Node, string? Error);

/// <summary>One history row.</summary>
internal sealed record RunJson(
    long Id, string Job, DateTimeOffset OccurrenceAt, int Attempt, RunStatus Status, bool Manual, string Node, long Fence,
    DateTimeOffset? StartedAt, DateTimeOffset FinishedAt, double DurationSeconds, string? ErrorType, string? ErrorMessage);

/// <summary>
/// One registered node. <c>libraryVersion</c> (DistCron's), <c>deploymentVersion</c> (the app's
/// <c>DeploymentVersion</c> option) and <c>runtime</c> (.NET) are null when unknown: registered by an older DistCron,
/// or not set.
/// </summary>
internal sealed record NodeJson(
    string NodeId, string Host, int ProcessId, DateTimeOffset StartedAt, DateTimeOffset HeartbeatAt, double HeartbeatAgeSeconds,
    IReadOnlyList<string> Jobs, string? LibraryVersion, long? DeploymentVersion, string? Runtime);

/// <summary>
/// Runs finished in each bucket of the window (from, to] by the database clock, oldest first, every bucket present;
/// <c>runs</c> counts succeeded, failed and timed-out runs (skipped occurrences did not run), <c>failures</c> the failed
/// and timed-out ones. A bucket holds the runs finished after its start and at or before its end.
/// </summary>
internal sealed record ActivityJson(DateTimeOffset From, DateTimeOffset To, double BucketSeconds, int Runs, int Failures, IReadOnlyList<ActivityBucketJson> Buckets);

/// <summary>One bucket of <see cref="ActivityJson"/>.</summary>
internal sealed record ActivityBucketJson(DateTimeOffset Start, DateTimeOffset End, int Runs, int Failures);

/// <summary>
/// A job's last runs that ran, at most <c>window</c> (N), newest first in <c>recent</c>; <c>p50Seconds</c> and
/// <c>p95Seconds</c> are nearest-rank percentiles of their durations (the duration at rank ⌈p × n / 100⌉ in ascending
/// order), null when the job has no run.
/// </summary>
internal sealed record DurationsJson(string Job, int Window, int Runs, int Failures, double? P50Seconds, double? P95Seconds, string Percentiles, IReadOnlyList<RecentRunJson> Recent);

/// <summary>One run of <see cref="DurationsJson"/>.</summary>
internal sealed record RecentRunJson(long Id, RunStatus Status, DateTimeOffset FinishedAt, double DurationSeconds);
