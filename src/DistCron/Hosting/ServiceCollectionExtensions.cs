using System.Diagnostics.Metrics;
using DistCron;
using DistCron.Configuration;
using DistCron.Diagnostics;
using DistCron.Hosting;
using DistCron.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers DistCron in a service collection.</summary>
public static class DistCronServiceCollectionExtensions
{
    /// <summary>
    /// Runs this process as a DistCron node with default options: every job found by the source generator, stored in
    /// the SQLite file <c>distcron.db</c> in the current directory, with the settings and job overrides of the
    /// <c>DistCron</c> section of the app's configuration.
    /// </summary>
    public static IServiceCollection AddDistCron(this IServiceCollection services) => services.AddDistCron(static _ => { });

    /// <summary>
    /// Runs this process as a DistCron node. The <c>DistCron</c> section of the app's <see cref="IConfiguration"/> (when
    /// the container has one, as every .NET host does) is read first, then <paramref name="configure"/> runs: code set
    /// there wins over configuration. Options, configuration keys and every job definition are validated when the host
    /// starts; a problem stops the start with a message naming the setting, key or job. Without
    /// <c>UsePostgres</c>/<c>UseSqlite</c> the store is the SQLite file <c>distcron.db</c> in the current directory.
    /// </summary>
    public static IServiceCollection AddDistCron(this IServiceCollection services, Action<DistCronOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<DistCronOptions>().Configure<IServiceProvider>(static (options, sp) =>
        {
            if (sp.GetService<IConfiguration>() is { } configuration)
            {
                DistCronConfigurationBinder.Bind(options, configuration.GetSection(DistCronConfigurationBinder.SectionName));
            }
        });
        return services.AddDistCronCore(configure);
    }

    /// <summary>
    /// Runs this process as a DistCron node with its settings and job overrides read from <paramref name="configuration"/>
    /// (a section laid out like <c>DistCron</c>: <c>App</c>, <c>PollInterval</c>, <c>Jobs:{job name}:Schedule</c>, …)
    /// instead of the app's <c>DistCron</c> section; then <paramref name="configure"/> runs, and code set there wins.
    /// </summary>
    public static IServiceCollection AddDistCron(this IServiceCollection services, IConfiguration configuration, Action<DistCronOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<DistCronOptions>().Configure(options => DistCronConfigurationBinder.Bind(options, configuration));
        return services.AddDistCronCore(configure ?? (static _ => { }));
    }

    private static IServiceCollection AddDistCronCore(this IServiceCollection services, Action<DistCronOptions> configure)
    {
        services.AddOptions<DistCronOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DistCronOptions>, DistCronOptionsValidator>());
        services.TryAddSingleton<OwnedStoreResources>();
        services.TryAddSingleton(CreateStore);
        services.TryAddSingleton(sp => new DistCronMetrics(sp.GetService<IMeterFactory>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, DistCronHostedService>());
        services.TryAddSingleton(sp => new DistCron.Engine.NodeHealth(sp.GetService<TimeProvider>()));
        // Over the container's store (the container disposes it), for this node's app.
        services.TryAddSingleton<IDistCronClient>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<DistCronOptions>>().Value;
            return new DistCronClient(sp.GetRequiredService<IJobStore>(), options.App) { NodeLiveWindow = options.LeaseDuration * 3 };
        });
        return services;
    }

    // The container disposes the store; a data source DistCron built from a connection string is disposed after it.
    private static IJobStore CreateStore(IServiceProvider services)
    {
        var owned = services.GetRequiredService<OwnedStoreResources>();
        var handle = services.GetRequiredService<IOptions<DistCronOptions>>().Value.CreateStore(services);
        owned.Add(handle.Owned);
        return handle.Store;
    }
}
