using System.ComponentModel;

namespace DistCron;

/// <summary>Invokes a job method. Generated at build time: a direct call, no reflection.</summary>
/// <param name="services">The DI scope of this run.</param>
/// <param name="context">The run's context.</param>
/// <param name="cancellationToken">Cancelled on timeout, lost lease or shutdown.</param>
public delegate ValueTask JobInvoker(IServiceProvider services, JobContext context, CancellationToken cancellationToken);

/// <summary>
/// One job as declared by <see cref="DistributedCronAttribute"/>; emitted by the source generator. A definition is
/// both the job's registration and its crontab seed row: the runtime seeds the crontab with its <see cref="Name"/>,
/// <see cref="Schedule"/>, <see cref="TimeZone"/> and <see cref="DefinitionHash"/> as they are.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Advanced)]
public sealed class JobDefinition
{
    /// <summary>Creates a definition. Generated code calls this; hand-written definitions are validated at startup.</summary>
    public JobDefinition(
        string name,
        string schedule,
        CronFormat format,
        string timeZone,
        MisfirePolicy misfire,
        TimeSpan? timeout,
        TimeSpan? retryDelay,
        int maxRetries,
        string definitionHash,
        string declaringType,
        string methodName,
        JobInvoker invoker)
    {
        Name = name;
        Schedule = schedule;
        Format = format;
        TimeZone = timeZone;
        Misfire = misfire;
        Timeout = timeout;
        RetryDelay = retryDelay;
        MaxRetries = maxRetries;
        DefinitionHash = definitionHash;
        DeclaringType = declaringType;
        MethodName = methodName;
        Invoker = invoker ?? throw new ArgumentNullException(nameof(invoker));
    }

    private JobDefinition(string name, string declaringType, string methodName, string buildError)
        : this(name, string.Empty, CronFormat.Standard, "UTC", MisfirePolicy.RunOnce, null, null, 0, string.Empty, declaringType, methodName, RefusedInvoker)
    {
        BuildError = buildError;
    }

    /// <summary>
    /// A declared job the source generator could not build, with the error the build reported for it. Generated code
    /// emits one for every invalid <see cref="DistributedCronAttribute"/> method instead of leaving the job out, so a
    /// build that ran without analyzers, or with the diagnostic suppressed, still cannot start with the job silently
    /// missing: start-up validation refuses it with <paramref name="buildError"/>.
    /// </summary>
    /// <param name="name">The job's name as declared (may itself be the invalid part).</param>
    /// <param name="declaringType">Fully qualified name of the declaring type.</param>
    /// <param name="methodName">The method's name.</param>
    /// <param name="buildError">The diagnostics the build reported, ID first ("DCRON0001: Schedule ...").</param>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static JobDefinition Refused(string name, string declaringType, string methodName, string buildError) =>
        new(name, declaringType, methodName, buildError ?? throw new ArgumentNullException(nameof(buildError)));

    /// <summary>For a definition made by <see cref="Refused"/>: why the job could not be built; otherwise null.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public string? BuildError { get; }

    // Never called: start-up validation refuses the definition before any run.
    private static ValueTask RefusedInvoker(IServiceProvider services, JobContext context, CancellationToken cancellationToken) =>
        ValueTask.FromException(new InvalidOperationException($"DistCron job '{context.JobName}' was not built and cannot run."));

    /// <summary>The job's unique name.</summary>
    public string Name { get; }
    /// <summary>The schedule text as written in the attribute.</summary>
    public string Schedule { get; }
    /// <summary>Five-field or six-field (seconds first).</summary>
    public CronFormat Format { get; }
    /// <summary>Time zone id ("UTC" when none was given).</summary>
    public string TimeZone { get; }
    /// <summary>Misfire policy.</summary>
    public MisfirePolicy Misfire { get; }
    /// <summary>Run timeout, or null for none.</summary>
    public TimeSpan? Timeout { get; }
    /// <summary>Delay before the first retry, or null for the default.</summary>
    public TimeSpan? RetryDelay { get; }
    /// <summary>Retries after a failed run.</summary>
    public int MaxRetries { get; }
    /// <summary>
    /// A stable hash of everything above, computed at build time and written to the crontab as it is: a different
    /// hash than the row's means the definition changed.
    /// </summary>
    public string DefinitionHash { get; }
    /// <summary>Fully qualified name of the declaring type (for diagnostics and listings).</summary>
    public string DeclaringType { get; }
    /// <summary>The method's name.</summary>
    public string MethodName { get; }
    /// <summary>The generated direct invoker.</summary>
    public JobInvoker Invoker { get; }

    /// <summary>True when configuration disabled the job (<see cref="JobOverride.Enabled"/>): seeded, never claimed.</summary>
    internal bool Disabled { get; private init; }

    /// <summary>The definition hash as the code declares it, before configuration overrides.</summary>
    internal string DeclaredHash
    {
        get => _declaredHash ?? DefinitionHash;
        private init => _declaredHash = value;
    }

    private readonly string? _declaredHash;

    /// <summary>The configuration keys (or code) that changed this definition; empty when it is the attribute's own.</summary>
    internal IReadOnlyList<string> OverriddenBy { get; private init; } = [];

    /// <summary>
    /// This definition with a deployment's overrides applied. The hash is the one the attribute would have with these
    /// values (the generator's StableHash), so an override that repeats the attribute changes nothing, and one that
    /// changes it re-seeds the row exactly as a changed attribute would; disabling is part of the hash too.
    /// </summary>
    internal JobDefinition WithOverrides(string schedule, CronFormat format, string timeZone, MisfirePolicy misfire, TimeSpan? timeout,
        TimeSpan? retryDelay, int maxRetries, bool disabled, IReadOnlyList<string> overriddenBy)
    {
        var same = schedule == Schedule && timeZone == TimeZone && misfire == Misfire && timeout == Timeout
            && retryDelay == RetryDelay && maxRetries == MaxRetries;
        var hash = same ? DefinitionHash : Internal.StableHash.DefinitionWithDurations(Name, schedule, timeZone, (int)misfire, timeout, retryDelay, maxRetries);
        return new JobDefinition(Name, schedule, format, timeZone, misfire, timeout, retryDelay, maxRetries,
            disabled ? hash + DisabledHashSuffix : hash, DeclaringType, MethodName, Invoker)
        {
            Disabled = disabled,
            OverriddenBy = overriddenBy,
            DeclaredHash = DeclaredHash,
        };
    }

    /// <summary>Marks a disabled definition's hash: enabling it again is a definition change like any other.</summary>
    internal const string DisabledHashSuffix = "-disabled";
}
