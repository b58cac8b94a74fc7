using System.Runtime.InteropServices;

namespace DistCron.Fleet;

/// <summary>
/// Sends the signals the fleet needs and .NET has no API for (it can only SIGKILL another process). Linux
/// numbering; the fleet tools are Linux-only, like the servers they imitate.
/// </summary>
internal static partial class PosixSignals
{
    public const int SigTerm = 15;
    public const int SigStop = 19;
    public const int SigCont = 18;

    public static void Send(int pid, int signal)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("The DistCron fleet harness sends POSIX signals and runs on Linux only.");
        }

        if (kill(pid, signal) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            const int NoSuchProcess = 3; // ESRCH: it already exited, which the caller observes through the Process
            if (errno != NoSuchProcess)
            {
                throw new InvalidOperationException($"kill({pid}, {signal}) failed with errno {errno}.");
            }
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int sig);
}
