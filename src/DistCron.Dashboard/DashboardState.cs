using DistCron.Dashboard.Live;

namespace DistCron.Dashboard;

/// <summary>What one mapping of the dashboard shares across its requests.</summary>
internal sealed class DashboardState(IDistCronClient client, DistCronDashboardOptions options, ChangeFeed feed, EmbeddedAssets assets, TimeSpan nodeLiveWindow)
{
    public IDistCronClient Client { get; } = client;

    public DistCronDashboardOptions Options { get; } = options;

    public ChangeFeed Feed { get; } = feed;

    public EmbeddedAssets Assets { get; } = assets;

    public TimeSpan NodeLiveWindow { get; } = nodeLiveWindow;
}
