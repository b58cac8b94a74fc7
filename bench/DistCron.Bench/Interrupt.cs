using System.Runtime.InteropServices;
using DistCron.Tests.Infrastructure;

namespace DistCron.Bench;

/// <summary>
/// Ctrl+C (SIGINT) or SIGTERM on the harness: the runtime's default ends the process without stopping what it
/// started, so the PostgreSQL cluster, the node processes and pgbench of the phase under way kept running (and
/// loading the machine). The handler stops all of them, then exits with the shell's code for the signal.
/// </summary>
internal static class Interrupt
{
    private static volatile bool _stopping;

    /// <summary>True once a signal's clean-up began: the measurement under way then fails (its database and nodes are
    /// gone), and the failure must not end the process before the clean-up does.</summary>
    public static bool Stopping => _stopping;

    public static IDisposable StopEverythingOn(Func<PostgresServer?> server)
    {
        void Stop(PosixSignalContext context)
        {
            context.Cancel = true; // this handler ends the process itself, after the clean-up
            _stopping = true;
            Console.Error.WriteLine($"bench: {context.Signal}; stopping the node processes and the PostgreSQL cluster");
            NodeProcess.KillAll();
            ProcessRunner.KillRunning(); // pgbench
            server()?.Stop();
            Environment.Exit(context.Signal == PosixSignal.SIGINT ? 130 : 143);
        }

        return new Registrations(PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop), PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop));
    }

    private sealed class Registrations(params IDisposable[] all) : IDisposable
    {
        public void Dispose()
        {
            foreach (var registration in all) registration.Dispose();
        }
    }
}
