using DistCron.Diagnostics;
using DistCron.Scheduling;
using DistCron.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DistCron.Engine;

/// <summary>Everything one node's engine shares: settings fixed at start, the store, the clock and the diagnostics.</summary>
internal sealed class EngineContext
{
    public EngineContext(
        DistCronOptions options,
        string nodeId,
        IJobStore store,
        IServiceScopeFactory scopeFactory,
        TimeProvider time,
        ILogger logger,
        DistCronMetrics metrics,
        NodeHealth? health = null)
    {
        App = options.App;
        NodeId = nodeId;
        PollInterval = options.PollInterval;
        LeaseDuration = options.LeaseDuration;
        HeartbeatInterval = options.HeartbeatInterval;
        ShutdownTimeout = options.ShutdownTimeout;
        MaxConcurrentJobs = options.MaxConcurrentJobs;
        MisfireThreshold = options.MisfireThreshold;
        AutoMigrate = options.AutoMigrate;
        RunsJobs = options.RunsJobs;
        Store = new InstrumentedJobStore(store, metrics); // every store call of the engine is measured here, once
        ScopeFactory = scopeFactory;
        Time = time;
        Clock = new DatabaseClock(time);
        Logger = logger;
        Metrics = metrics;
        Health = health ?? new NodeHealth(time);
        Retention = options.HistoryRetention;
        DeploymentVersion = options.DeploymentVersion;
        SaturatedClaimWait = options.SaturatedClaimWait;
    }

    public string App { get; }
    public string NodeId { get; }
    public TimeSpan PollInterval { get; }
    public TimeSpan LeaseDuration { get; }
    public TimeSpan HeartbeatInterval { get; }
    public TimeSpan ShutdownTimeout { get; }
    public int MaxConcurrentJobs { get; }
    public TimeSpan MisfireThreshold { get; }
    public bool AutoMigrate { get; }
    public bool RunsJobs { get; }
    public IJobStore Store { get; }
    public IServiceScopeFactory ScopeFactory { get; }
    public TimeProvider Time { get; }
    public DatabaseClock Clock { get; }
    public ILogger Logger { get; }
    public DistCronMetrics Metrics { get; }
    public NodeHealth Health { get; }
    public HistoryRetention Retention { get; }
    public long? DeploymentVersion { get; }
    public TimeSpan SaturatedClaimWait { get; }

    /// <summary>Which jobs' heartbeats are failing, so each outage is logged once per job.</summary>
    public HeartbeatOutages HeartbeatOutages { get; } = new();

    /// <summary>
    /// How long a job keeps running after its timeout cancelled its token before it is abandoned (recorded as timed out
    /// while this node still holds the fence). Bounded by the lease so the record is written well within it.
    /// </summary>
    public TimeSpan AbandonGrace => ShutdownBudget.AbandonGrace(LeaseDuration);

    /// <summary>
    /// How far ahead of their due time jobs are claimed (see <see cref="Storage.ClaimRequest.Ahead"/>): the claim and verify
    /// round trips happen before the due instant and the run starts on it. Small next to the lease and the poll.
    /// </summary>
    public TimeSpan ClaimAhead => TimeMath.Min(TimeSpan.FromMilliseconds(100), TimeMath.Min(PollInterval / 4, LeaseDuration / 10));

    /// <summary>Heartbeats stop being retried (the claim is treated as lost) this long before the lease ends.</summary>
    public TimeSpan LeaseSafetyMargin => LeaseDuration / 10;

    /// <summary>How often the node re-registers; other nodes consider it alive for three of these.</summary>
    public TimeSpan RegistrationInterval => LeaseDuration;

    public TimeSpan NodeLiveWindow => LeaseDuration * 3;

    /// <summary>Exception text for logs: type and message only. Stores never put connection details in messages.</summary>
    public static string Describe(Exception ex) => ex.Message.Length > 500 ? ex.Message[..500] + "…" : ex.Message;
}
