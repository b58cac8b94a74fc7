using System.Reflection;

namespace DistCron.Storage;

/// <summary>What a node registers about the code it runs, so an operator sees a mixed fleet during a rolling deploy.</summary>
internal static class NodeVersion
{
    /// <summary>The DistCron library version without the source revision ("1.2.0", not "1.2.0+abc123").</summary>
    public static string Library { get; } = WithoutRevision(
        typeof(NodeVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(NodeVersion).Assembly.GetName().Version?.ToString(3)
        ?? "unknown");

    /// <summary>The .NET runtime this process runs on (".NET 10.0.1").</summary>
    public static string Runtime { get; } = System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription;

    /// <summary>"1.2.0+abc" → "1.2.0": the informational version's build metadata names the commit, not a release.</summary>
    internal static string WithoutRevision(string version)
    {
        var plus = version.IndexOf('+', StringComparison.Ordinal);
        return plus < 0 ? version : version[..plus];
    }
}
