using System.Runtime.CompilerServices;

namespace DistCron.Generators.Tests.Infrastructure;

/// <summary>
/// Compares text with a committed <c>Snapshots/NAME.verified.cs</c> file. On a mismatch it writes
/// <c>NAME.received.cs</c> beside it (git-ignored) and fails. With DISTCRON_ACCEPT_SNAPSHOTS=1 the received text
/// replaces the verified file instead — except under CI=true, where nothing is ever created or accepted and a
/// missing verified file is a failure.
/// </summary>
internal static class Snapshot
{
    public static void Verify(string actual, string name, [CallerFilePath] string callerPath = "")
    {
        var onCi = string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
        var accept = Environment.GetEnvironmentVariable("DISTCRON_ACCEPT_SNAPSHOTS") == "1";
        Verify(actual, Path.Combine(Path.GetDirectoryName(callerPath)!, "Snapshots"), name, onCi, accept);
    }

    /// <summary>The rules above with the environment made explicit (tested in SnapshotTests).</summary>
    internal static void Verify(string actual, string directory, string name, bool onCi, bool acceptRequested)
    {
        var verifiedPath = Path.Combine(directory, name + ".verified.cs");
        var receivedPath = Path.Combine(directory, name + ".received.cs");
        var received = Normalize(actual);
        var accept = acceptRequested && !onCi;

        if (File.Exists(verifiedPath) && Normalize(File.ReadAllText(verifiedPath)) == received)
        {
            if (File.Exists(receivedPath)) File.Delete(receivedPath);
            return;
        }

        if (accept)
        {
            Directory.CreateDirectory(directory);
            File.WriteAllText(verifiedPath, received);
            if (File.Exists(receivedPath)) File.Delete(receivedPath);
            return;
        }

        if (!onCi)
        {
            Directory.CreateDirectory(directory);
            File.WriteAllText(receivedPath, received);
        }

        var reason = File.Exists(verifiedPath) ? "differs from" : "has no";
        Assert.Fail($"Generated text {reason} {verifiedPath}." + (onCi
            ? " Snapshots are never written under CI=true."
            : $" Compare with {receivedPath}; rerun with DISTCRON_ACCEPT_SNAPSHOTS=1 to accept it."));
    }

    private static string Normalize(string text) => text.Replace("\r\n", "\n");
}
