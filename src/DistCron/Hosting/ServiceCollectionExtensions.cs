using System.Diagnostics.Metrics;
using DistCron;
using DistCron.Diagnostics;
using DistCron.Hosting;
using DistCron.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers DistCron in a service collection.</summary>
public static class DistCronServiceCollectionExtensions
{
    /// <summary>
    /// Runs this process as a DistCron node with default options: every job found by the source generator, stored in
    /// the SQLite file <c>distcron.db</c> in the current directory.
    /// </summary>
    public static IServiceCollection AddDistCron(this IServiceCollection services) => services.AddDistCron(static _ => { });

    /// <summary>
    /// Runs this process as a DistCron node. Options and every job definition are validated when the host starts;
    /// a problem stops the start with a message naming the setting or job. Registers <see cref="IJobStore"/> too, for
    /// listing jobs and history. Without <c>UsePostgres</c>/<c>UseSqlite</c> the store is the SQLite file
    /// <c>distcron.db</c> in the current directory.
    /// </summary>
    public static IServiceCollection AddDistCron(this IServiceCollection services, Action<DistCronOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);

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
