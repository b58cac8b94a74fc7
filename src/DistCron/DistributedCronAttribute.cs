namespace DistCron;

/// <summary>
/// Marks a method as a distributed cron job: every occurrence of <see cref="Schedule"/> runs once across all
/// nodes that share the same store. The DistCron source generator registers the method at build time and the
/// DistCron analyzer reports a build error for an invalid schedule or an unsupported method shape.
/// </summary>
/// <remarks>
/// <para>
/// A method may carry several of these attributes: each is a job of its own, with its own schedule, options and
/// crontab row, and then each must set <see cref="Name"/> (a build error, DCRON0020, says so). The method reads
/// <see cref="JobContext.JobName"/> to tell which of its jobs is running.
/// </para>
/// The method may be static or instance (the instance is resolved from a DI scope per run), sync or async
/// (<see cref="System.Threading.Tasks.Task"/> or <see cref="System.Threading.Tasks.ValueTask"/>), and may take a
/// <see cref="System.Threading.CancellationToken"/>, a <see cref="JobContext"/> and any services registered in DI.
/// </remarks>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true, Inherited = false)]
public sealed class DistributedCronAttribute : Attribute
{
    /// <param name="schedule">
    /// A cron expression: 5 fields (minute hour day-of-month month day-of-week), or 6 fields with seconds first;
    /// a macro such as <c>@hourly</c> or <c>@every_second</c>; <c>H</c> in a field picks a stable value per job name.
    /// </param>
    public DistributedCronAttribute(string schedule) => Schedule = schedule;

    /// <summary>The cron expression as written.</summary>
    public string Schedule { get; }

    /// <summary>
    /// The job's unique name. Defaults to <c>Namespace.Type.Method</c>; required on each attribute of a method that
    /// carries several. Allowed: <c>[A-Za-z0-9._:-]</c>, at most 200 characters.
    /// </summary>
    public string? Name { get; set; }

    /// <summary>IANA (<c>Europe/Paris</c>) or Windows (<c>Romance Standard Time</c>) time zone id. Defaults to UTC.</summary>
    public string? TimeZone { get; set; }

    /// <summary>What to do with occurrences missed while no node was running. Defaults to <see cref="MisfirePolicy.RunOnce"/>.</summary>
    public MisfirePolicy Misfire { get; set; } = MisfirePolicy.RunOnce;

    /// <summary>Maximum run time as <c>hh:mm:ss</c>; the job's token is cancelled after it. Default: no timeout.</summary>
    public string? Timeout { get; set; }

    /// <summary>Delay before the first retry as <c>hh:mm:ss</c>; doubles with each further retry. Default 00:00:10.</summary>
    public string? RetryDelay { get; set; }

    /// <summary>How many times a failed run is retried before the job moves on to its next occurrence. Default 0.</summary>
    public int MaxRetries { get; set; }
}
