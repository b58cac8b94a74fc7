namespace DistCron.Tests.Infrastructure;

/// <summary>
/// Installs what the tests need on a fresh Debian/Ubuntu machine (PostgreSQL, the Native AOT toolchain) when they run
/// as root. The test assemblies run in parallel processes, and two apt-get runs at once fail on dpkg's lock: every
/// install here takes one machine-wide file lock first, and apt-get also waits for a lock held by anything else.
/// </summary>
public static class AptGet
{
    private static readonly string LockFile = Path.Combine(Path.GetTempPath(), "distcron-tests-apt.lock");

    /// <summary>
    /// Installs <paramref name="packages"/> unless <paramref name="installed"/> says they are there (checked again under
    /// the lock: another test process may have installed them meanwhile). Returns apt-get's failure output, or null.
    /// </summary>
    public static async Task<string?> InstallAsync(IReadOnlyList<string> packages, Func<bool> installed)
    {
        using var gate = await LockAsync();
        if (installed()) return null;

        var environment = new Dictionary<string, string> { ["DEBIAN_FRONTEND"] = "noninteractive" };
        string[] wait = ["-o", "DPkg::Lock::Timeout=600"];
        var update = await ProcessRunner.RunAsync("apt-get", [.. wait, "update"], TimeSpan.FromMinutes(10), environment);
        var install = update.Succeeded
            ? await ProcessRunner.RunAsync("apt-get", [.. wait, "install", "-y", "--no-install-recommends", .. packages], TimeSpan.FromMinutes(15), environment)
            : update;
        return install.Succeeded && installed() ? null : install.Output;
    }

    // FileShare.None is an exclusive flock on Unix: released by the kernel if the holder dies.
    private static async Task<FileStream> LockAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(30);
        while (true)
        {
            try { return new FileStream(LockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
            catch (IOException) when (DateTime.UtcNow < deadline) { await Task.Delay(500); }
        }
    }
}
