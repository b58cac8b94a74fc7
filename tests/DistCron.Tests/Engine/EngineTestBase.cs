using DistCron.Internal;
using DistCron.Storage;
using DistCron.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DistCron.Tests.Engine;

/// <summary>
/// Engine tests run real hosts (<see cref="Host.CreateApplicationBuilder()"/>) against a real store supplied by a
/// dialect subclass. Settings are short (500 ms poll and heartbeat, 2 s lease) and every wait is for a CONDITION with a
/// generous deadline, so the tests stay fast without depending on timing.
/// </summary>
public abstract class EngineTestBase : IAsyncLifetime
{
    protected static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private readonly List<IHost> _hosts = [];
    private readonly List<IJobStore> _stores = [];
    private IJobStore? _inspector;

    protected EngineTestBase() => Store = CreateStoreFactory();

    protected EngineStoreFactory Store { get; }

    protected string App { get; } = "engine-" + Guid.NewGuid().ToString("N")[..8];

    protected TestLogs Logs { get; } = new();

    protected abstract EngineStoreFactory CreateStoreFactory();

    public Task InitializeAsync() => Store.InitializeAsync();

    public async Task DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            try
            {
                // A host whose start failed (a test of start-up validation) has nothing to stop, and .NET's Host throws
                // from StopAsync when its start did not get as far as its hosted services.
                if (host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStarted.IsCancellationRequested)
                {
                    await host.StopAsync(TimeSpan.FromSeconds(30));
                }
            }
            finally
            {
                host.Dispose();
            }
        }

        foreach (var store in _stores) await store.DisposeAsync();
        await Store.DisposeAsync();
    }

    /// <summary>
    /// A job whose first run waits until its token is cancelled, then rethrows; later runs (the re-run once the claim
    /// was taken over) return at once. Start and cancellation are recorded where the job sees them: a token.Register
    /// callback disposed by the job's own <c>using</c> could be removed unrun (callbacks run last-registered first, so
    /// Task.Delay's, which resumes the job, runs before it).
    /// </summary>
    protected sealed class RunOnceUntilCancelled
    {
        private readonly TaskCompletionSource _running = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _cancelled = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _starts;

        public RunOnceUntilCancelled(string name)
        {
            Definition = Job(name, "0 0 1 1 *", async (_, token) =>
            {
                if (Interlocked.Increment(ref _starts) > 1) return;
                _running.TrySetResult();
                try
                {
                    await Task.Delay(Timeout.Infinite, token);
                }
                catch (OperationCanceledException) when (token.IsCancellationRequested)
                {
                    _cancelled.TrySetResult();
                    throw;
                }
            });
        }

        public JobDefinition Definition { get; }
        public Task Running => _running.Task;
        public Task Cancelled => _cancelled.Task;
        public int Starts => Volatile.Read(ref _starts);
    }

    protected static JobDefinition Job(
        string name,
        string schedule,
        Func<JobContext, CancellationToken, Task> body,
        MisfirePolicy misfire = MisfirePolicy.RunOnce,
        TimeSpan? timeout = null,
        TimeSpan? retryDelay = null,
        int maxRetries = 0,
        string timeZone = "UTC")
    {
        var format = schedule.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries).Length == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard;
        var hash = StableHash.Definition(name, schedule, timeZone, (int)misfire, timeout?.ToString(), retryDelay?.ToString(), maxRetries);
        return new JobDefinition(name, schedule, format, timeZone, misfire, timeout, retryDelay, maxRetries, hash,
            "DistCron.Tests.Engine.Jobs", name, (_, context, token) => new ValueTask(body(context, token)));
    }

    protected IHost BuildNode(IEnumerable<JobDefinition> jobs, Action<DistCronOptions>? configure = null, Action<IServiceCollection>? services = null,
        IReadOnlyDictionary<string, string?>? settings = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        if (settings is not null) builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(Logs);
        builder.Logging.SetMinimumLevel(LogLevel.Debug);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));
        var list = jobs.ToArray();
        builder.Services.AddDistCron(o =>
        {
            Store.Configure(o);
            o.App = App;
            o.PollInterval = TimeSpan.FromMilliseconds(500);
            o.LeaseDuration = TimeSpan.FromSeconds(2);
            o.HeartbeatInterval = TimeSpan.FromMilliseconds(500);
            o.ShutdownTimeout = TimeSpan.FromSeconds(10);
            o.AddJobs(list);
            configure?.Invoke(o);
        });
        services?.Invoke(builder.Services);
        var host = builder.Build();
        _hosts.Add(host);
        return host;
    }

    protected async Task<IHost> StartNodeAsync(IEnumerable<JobDefinition> jobs, Action<DistCronOptions>? configure = null, Action<IServiceCollection>? services = null,
        IReadOnlyDictionary<string, string?>? settings = null)
    {
        var host = BuildNode(jobs, configure, services, settings);
        await host.StartAsync();
        return host;
    }

    /// <summary>One store handle of the test's own over the database, for seeding and inspection.</summary>
    private protected async Task<IJobStore> InspectAsync()
    {
        if (_inspector is null)
        {
            _inspector = await Store.OpenStoreAsync();
            _stores.Add(_inspector);
        }

        return _inspector;
    }

    /// <summary>Creates the job's row before any node starts; a node seeding the same definition hash leaves it untouched.</summary>
    protected async Task PreSeedAsync(JobDefinition job, Func<DateTimeOffset, DateTimeOffset> due, string? schedule = null, string? timeZone = null)
    {
        var store = await InspectAsync();
        var now = await store.GetDatabaseTimeAsync(CancellationToken.None);
        var at = DateTimeOffset.FromUnixTimeMilliseconds(due(now).ToUnixTimeMilliseconds());
        await store.SeedAsync(App, [new SeedJob(job.Name, schedule ?? job.Schedule, timeZone ?? job.TimeZone, job.DefinitionHash, at)], CancellationToken.None);
    }

    protected async Task<IReadOnlyList<RunRecord>> HistoryAsync(string job)
    {
        var store = await InspectAsync();
        return await store.GetHistoryAsync(App, job, 1000, CancellationToken.None);
    }

    protected async Task<JobRow> RowAsync(string job)
    {
        var store = await InspectAsync();
        return (await store.ListJobsAsync(App, CancellationToken.None)).Single(r => r.Name == job);
    }

    /// <summary><see cref="Eventually.TrueAsync(Func{Task{bool}}, string, TimeSpan?)"/> with this class's <see cref="Deadline"/>.</summary>
    protected static Task WaitUntilAsync(Func<Task<bool>> condition, string what) => Eventually.TrueAsync(condition, what, Deadline);

    /// <inheritdoc cref="WaitUntilAsync(Func{Task{bool}}, string)"/>
    protected static Task WaitUntilAsync(Func<bool> condition, string what) => Eventually.TrueAsync(condition, what, Deadline);

    protected static async Task<T> WithinDeadline<T>(Task<T> task, string what)
    {
        try
        {
            return await task.WaitAsync(Deadline);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Timed out waiting for {what}.");
        }
    }
}
