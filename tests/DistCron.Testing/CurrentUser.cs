namespace DistCron.Tests.Infrastructure;

public static class CurrentUser
{
    /// <summary>Whether this process runs as root (uid 0): apt-get can install, and PostgreSQL must run as another user.</summary>
    public static bool IsRoot()
    {
        try { return File.ReadAllText("/proc/self/status").Split('\n').Any(l => l.StartsWith("Uid:", StringComparison.Ordinal) && l.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1] == "0"); }
        catch (IOException) { return false; }
    }
}
