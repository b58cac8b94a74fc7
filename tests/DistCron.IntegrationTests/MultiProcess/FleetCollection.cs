namespace DistCron.Tests.MultiProcess;

/// <summary>
/// Tests that run fleets of node processes: never in parallel with each other (each fleet keeps the 2-core machine
/// busy on its own) nor with other collections, so their timing stays that of one fleet.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FleetCollection
{
    public const string Name = "Fleet of node processes";
}
