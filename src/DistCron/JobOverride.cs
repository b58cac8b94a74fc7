namespace DistCron;

/// <summary>
/// A deployment's changes to one job's <see cref="DistributedCronAttribute"/> options, read from configuration
/// (<c>DistCron:Jobs:{job name}</c>) or set in code through <see cref="DistCronOptions.Jobs"/>. Null leaves the
/// attribute's value. Validated at start-up with the analyzer's rules and words, naming the configuration key. An
/// override that changes the effective definition changes its definition hash, so the crontab row is re-seeded the way
/// a change to the attribute would re-seed it (and <see cref="DistCronOptions.DeploymentVersion"/> keeps deciding
/// which release's definition a rolling deploy keeps).
/// </summary>
public sealed class JobOverride
{
    /// <summary>The schedule instead of the attribute's (five or six fields, or a macro such as <c>@daily</c>).</summary>
    public string? Schedule { get; set; }

    /// <summary>The time zone id instead of the attribute's.</summary>
    public string? TimeZone { get; set; }

    /// <summary>
    /// False keeps the job registered (listed, seeded, its code known to the fleet) but never claims it, by schedule or
    /// by a manual trigger; the CLI and <see cref="IDistCronClient"/> show it as disabled by configuration, which is not
    /// an operator's pause. Null or true: enabled.
    /// </summary>
    public bool? Enabled { get; set; }

    /// <summary>The run timeout instead of the attribute's (configuration: <c>hh:mm:ss</c>).</summary>
    public TimeSpan? Timeout { get; set; }

    /// <summary>The delay before the first retry instead of the attribute's (configuration: <c>hh:mm:ss</c>).</summary>
    public TimeSpan? RetryDelay { get; set; }

    /// <summary>Retries after a failed run instead of the attribute's.</summary>
    public int? MaxRetries { get; set; }

    /// <summary>The misfire policy instead of the attribute's (configuration: its name, e.g. <c>Skip</c>).</summary>
    public MisfirePolicy? Misfire { get; set; }

    /// <summary>The configuration section this override was read from; null when set in code.</summary>
    internal string? ConfigurationPath { get; set; }

    /// <summary>True when nothing is overridden.</summary>
    internal bool IsEmpty =>
        Schedule is null && TimeZone is null && Enabled is null && Timeout is null && RetryDelay is null && MaxRetries is null && Misfire is null;

    /// <summary>How an error names one of this override's settings: its configuration key, or the code that set it.</summary>
    internal string Key(string jobName, string setting) =>
        ConfigurationPath is { } path ? $"{path}:{setting}" : $"DistCronOptions.Jobs[\"{jobName}\"].{setting}";
}
