namespace DistCron.Tests.Browser;

/// <summary>
/// The browser test classes share one chromium (<see cref="Chromium"/>) and run one after another: two cores gain
/// nothing from two browsers rendering at once, and the rest of the suite runs beside them.
/// </summary>
[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<Chromium>
{
    public const string Name = "Browser";
}
