using DistCron.Storage;
using DistCron.Storage.Postgres;
using DistCron.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace DistCron;

/// <summary>
/// Configures DistCron; set through <c>services.AddDistCron(o =&gt; …)</c>. Validated when the host starts, with a message
/// that names the offending setting or job.
/// </summary>
public sealed class DistCronOptions
{
    /// <summary>The SQLite file used when no store is configured: <c>distcron.db</c> in the current directory.</summary>
    public const string DefaultSqlitePath = "distcron.db";

    private readonly List<JobDefinition> _jobs = new();
    private bool _jobsGiven;

    /// <summary>PostgreSQL schema that holds DistCron's tables. Default <c>distcron</c>.</summary>
    public string Schema { get; set; } = "distcron";

    /// <summary>Application name: several applications can share one database and never see each other's jobs. Default <c>default</c>.</summary>
    public string App { get; set; } = "default";

    /// <summary>Longest sleep between two claim rounds when nothing is due sooner and no change is signalled. Default 5 s; at most 24 days.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a claim stays valid without a heartbeat; a crashed node's jobs are re-run after it. Default 30 s; at most 24 days.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often a running job's lease is extended. Must be less than half of <see cref="LeaseDuration"/>. Default 10 s.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long shutdown waits for running jobs before cancelling their tokens. Default 15 s; at most 24 days. A job still
    /// running then gets up to 5 s more (bounded by <see cref="LeaseDuration"/>) to stop and release its claim, and the
    /// last writes take about 2 s: with the defaults a stop ends within 23 s, inside the host's default
    /// <c>HostOptions.ShutdownTimeout</c> and Kubernetes' default <c>terminationGracePeriodSeconds</c> (both 30 s). Keep
    /// the host's timeout at least this value plus 8 s, or the host stops waiting first (DistCron warns at start-up).
    /// </summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Most job methods this node runs at once. Default 16. A slot is free once the method returns; its completion is
    /// then written in the background (in batches), and the node holds at most this many plus 64 leases in all.
    /// </summary>
    public int MaxConcurrentJobs { get; set; } = 16;

    /// <summary>A row claimed more than this after it became due has misfired and follows its job's <see cref="MisfirePolicy"/>. Default 1 minute; at most 24 days.</summary>
    public TimeSpan MisfireThreshold { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// This process's node id; null (the default) generates <c>{host}-{pid}-{random}</c>. Must be unique per process:
    /// two processes with one id would both believe they own the same claim.
    /// </summary>
    public string? NodeId { get; set; }

    /// <summary>
    /// Whether this node runs jobs. Default true. False makes a node that never runs one: it starts like any node
    /// (migrates when <see cref="AutoMigrate"/> is set, seeds its job definitions, registers itself, so it is listed
    /// with the fleet's nodes and its jobs count as having live code) but it never claims an occurrence and does no
    /// history pruning; every occurrence runs on the nodes that run jobs, and with none the jobs stay due (the jobs
    /// health check reports them overdue). For a developer's laptop on a shared database, a dashboard-only host, or
    /// the first instance of a canary. Its seed still writes its definitions, like a deploy's: see
    /// <see cref="DeploymentVersion"/> to keep a laptop's older or newer schedules from changing the fleet's.
    /// </summary>
    public bool RunsJobs { get; set; } = true;

    /// <summary>Create or upgrade the schema at startup. Default true; set false when a DBA applies the DDL.</summary>
    public bool AutoMigrate { get; set; } = true;

    /// <summary>
    /// Optional version of this deployment, a number that grows with every release (a build number or a UTC
    /// timestamp such as 202611270335). During a rolling deploy a node of an OLDER version never overwrites a job
    /// definition (schedule, time zone) written by a newer one, so old and new nodes do not flip the row back and
    /// forth. Null (default): the definition hash alone decides. Set it on every node of an app, or on none.
    /// </summary>
    public long? DeploymentVersion { get; set; }

    /// <summary>How long run history is kept; pruned by each node when idle. See <see cref="DistCron.HistoryRetention"/>.</summary>
    public HistoryRetention HistoryRetention { get; } = new();

    /// <summary>
    /// Per-job overrides of the <see cref="DistributedCronAttribute"/> options, by job name: filled from configuration
    /// (<c>DistCron:Jobs:{job name}</c>) by <c>AddDistCron()</c>, and open to code. Validated at start-up: an invalid
    /// value or a name no job has fails the start with a message naming the key.
    /// </summary>
    public IDictionary<string, JobOverride> Jobs => _overrides;

    private readonly Dictionary<string, JobOverride> _overrides = new(StringComparer.Ordinal);

    /// <summary>What the configuration binder could not read (unknown keys, bad values); reported at start-up.</summary>
    internal List<string> ConfigurationErrors { get; } = new();

    internal Func<IServiceProvider, StoreHandle>? StoreFactory { get; private set; }

    /// <summary>True when a job list was given with <see cref="AddJobs"/>; otherwise every generated registration is used.</summary>
    internal bool JobsGiven => _jobsGiven;

    /// <summary>
    /// Stores in PostgreSQL through a connection string. DistCron builds and disposes its own
    /// <see cref="NpgsqlDataSource"/>; the connection string never appears in logs or messages.
    /// </summary>
    /// <remarks>
    /// The data source is built with <c>No Reset On Close=true</c> (unless the connection string sets that key): DistCron
    /// leaves no session state on its connections, so Npgsql's <c>DISCARD ALL</c> on every pool return is pure overhead
    /// (about half of all statements), and with <c>Max Auto Prepare=32</c> (unless set) so PostgreSQL does not plan
    /// DistCron's statements on every call; behind PgBouncer in transaction mode (before 1.21) put
    /// <c>Max Auto Prepare=0</c> in the connection string. A data source you build yourself for
    /// <see cref="UsePostgres(NpgsqlDataSource)"/> benefits from the same setting when nothing else shares it, or when
    /// its other users leave no session state either.
    /// </remarks>
    public DistCronOptions UsePostgres(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        StoreFactory = sp =>
        {
            var dataSource = PostgresDataSources.Create(connectionString);
            try
            {
                return new StoreHandle(new PostgresJobStore(dataSource, Schema, Logger(sp)), dataSource);
            }
            catch
            {
                dataSource.Dispose();
                throw;
            }
        };
        return this;
    }

    /// <summary>Stores in PostgreSQL through a data source the caller owns (DistCron never disposes it).</summary>
    /// <remarks>
    /// DistCron's statements leave no session state, so if nothing else on this data source does either, build it with
    /// <c>No Reset On Close=true</c>: it saves the <c>DISCARD ALL</c> Npgsql otherwise sends after every pool return.
    /// </remarks>
    public DistCronOptions UsePostgres(NpgsqlDataSource dataSource)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        StoreFactory = sp => new StoreHandle(new PostgresJobStore(dataSource, Schema, Logger(sp)), null);
        return this;
    }

    /// <summary>Stores in a SQLite file (created if missing). Nodes sharing the file must be on one machine.</summary>
    public DistCronOptions UseSqlite(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        StoreFactory = sp => new StoreHandle(new SqliteJobStore(path, Logger(sp)), null);
        return this;
    }

    /// <summary>
    /// Runs exactly these jobs instead of every job found by the source generator (may be called several times; the
    /// lists add up).
    /// </summary>
    public DistCronOptions AddJobs(IEnumerable<JobDefinition> jobs)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        _jobsGiven = true;
        _jobs.AddRange(jobs);
        return this;
    }

    /// <summary>
    /// Registers a job whose name or schedule is known only at start (one per tenant, say), in addition to the
    /// generated ones: the same options as <see cref="DistributedCronAttribute"/>, validated at start-up with the
    /// analyzer's rules and words, and overridable from configuration like any job. The delegate is the job's body; its
    /// changes, like a method body's, do not count as a definition change.
    /// </summary>
    /// <param name="name">The job's unique name (A-Z, a-z, 0-9, '.', '_', ':' and '-').</param>
    /// <param name="schedule">Cron schedule, five fields or six (seconds first), or a macro such as <c>@daily</c>.</param>
    /// <param name="run">The job's body: its context, the run's DI scope, and a token cancelled on timeout, lost lease or shutdown.</param>
    /// <param name="timeZone">Time zone id (IANA or Windows); null for UTC.</param>
    /// <param name="misfire">What to do with an occurrence claimed too late.</param>
    /// <param name="timeout">Run timeout; null for none.</param>
    /// <param name="retryDelay">Delay before the first retry; null for the default.</param>
    /// <param name="maxRetries">Retries after a failed run.</param>
    public DistCronOptions AddJob(string name, string schedule, Func<JobContext, IServiceProvider, CancellationToken, Task> run,
        string? timeZone = null, MisfirePolicy misfire = MisfirePolicy.RunOnce, TimeSpan? timeout = null, TimeSpan? retryDelay = null, int maxRetries = 0)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(schedule);
        ArgumentNullException.ThrowIfNull(run);
        var zone = timeZone ?? "UTC";
        // The format follows the schedule (a wrong one is reported by start-up validation with the schedule's error).
        var format = Internal.ScheduleText.Parse(schedule, name).IncludeSeconds ? CronFormat.IncludeSeconds : CronFormat.Standard;
        _added.Add(new JobDefinition(name, schedule, format, zone, misfire, timeout, retryDelay, maxRetries,
            Internal.StableHash.DefinitionWithDurations(name, schedule, zone, (int)misfire, timeout, retryDelay, maxRetries),
            nameof(DistCronOptions), nameof(AddJob), (services, context, token) => new ValueTask(run(context, services, token))));
        return this;
    }

    private readonly List<JobDefinition> _added = new();

    /// <summary>
    /// The job definitions this node runs: those given to <see cref="AddJobs"/>, else every generated registration, plus
    /// those of <see cref="AddJob"/>, with the <see cref="Jobs"/> overrides applied. Problems with the overrides go to
    /// <paramref name="errors"/> (start-up validation reports them; the node starts only once there are none).
    /// </summary>
    internal IReadOnlyList<JobDefinition> ResolveJobs(List<string>? errors = null) =>
        Configuration.JobOverrides.Apply([.. _jobsGiven ? _jobs : DistCronJobRegistry.GetAll(), .. _added], _overrides, errors ?? new List<string>());

    internal StoreHandle CreateStore(IServiceProvider services) =>
        (StoreFactory ?? (sp => new StoreHandle(new SqliteJobStore(DefaultSqlitePath, Logger(sp)), null)))(services);

    /// <summary>Tests: wraps the configured store (e.g. to observe the engine's calls). Call after choosing the store.</summary>
    internal DistCronOptions DecorateStore(Func<IJobStore, IJobStore> decorate)
    {
        var inner = StoreFactory ?? throw new InvalidOperationException("Choose a store before decorating it.");
        StoreFactory = sp =>
        {
            var handle = inner(sp);
            return handle with { Store = decorate(handle.Store) };
        };
        return this;
    }

    /// <summary>
    /// A saturated node (its last claim filled every free slot) waits this long for all its slots to free before it
    /// claims into fewer. Internal: tests lengthen it to observe the batching deterministically.
    /// </summary>
    internal TimeSpan SaturatedClaimWait { get; set; } = TimeSpan.FromMilliseconds(25);

    private static ILogger Logger(IServiceProvider services) =>
        services.GetService<ILoggerFactory>()?.CreateLogger("DistCron.Storage") ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
}

/// <summary>A store plus what DistCron created for it and must dispose after it (an owned data source).</summary>
internal sealed record StoreHandle(IJobStore Store, IAsyncDisposable? Owned);

/// <summary>
/// Holds resources DistCron created for the store. Resolved before the store is created, so the container disposes it
/// after the store (reverse creation order): the store first, then its data source.
/// </summary>
internal sealed class OwnedStoreResources : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _owned = new();

    public void Add(IAsyncDisposable? resource)
    {
        if (resource is null) return;
        lock (_owned) _owned.Add(resource);
    }

    public async ValueTask DisposeAsync()
    {
        IAsyncDisposable[] owned;
        lock (_owned)
        {
            owned = _owned.ToArray();
            _owned.Clear();
        }

        foreach (var resource in owned) await resource.DisposeAsync().ConfigureAwait(false);
    }
}
