using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;

namespace DistCron.Tests.Shutdown;

/// <summary>
/// One DistCron.ShutdownNode child process: every output line kept with the moment it arrived, SIGTERM and SIGKILL
/// as Kubernetes sends them. Disposing kills it, so a failed test leaves no node behind.
/// </summary>
internal sealed class ShutdownNodeProcess : IAsyncDisposable
{
    private const int SigTerm = 15;
    private readonly Process _process;
    private readonly ConcurrentQueue<(DateTimeOffset At, bool IsError, string Text)> _lines = new();
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ShutdownNodeProcess(Process process) => _process = process;

    /// <summary>True once the test had to SIGKILL it.</summary>
    public bool WasKilled { get; private set; }

    public int ExitCode => _process.ExitCode;

    /// <summary>Every line so far (stdout and stderr), in arrival order.</summary>
    public IReadOnlyList<(DateTimeOffset At, bool IsError, string Text)> Lines => _lines.ToArray();

    public static ShutdownNodeProcess Start(params string[] arguments)
    {
        var dll = typeof(ShutdownNodeProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "ShutdownNode").Value!;
        if (!File.Exists(dll)) throw new InvalidOperationException($"DistCron.ShutdownNode was not built at {dll}");
        var host = Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath! : "dotnet";
        var info = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(dll);
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        info.Environment.Remove("DOTNET_STARTUP_HOOKS");

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var node = new ShutdownNodeProcess(process);
        process.OutputDataReceived += (_, e) => { if (e.Data is { } line) node._lines.Enqueue((DateTimeOffset.UtcNow, false, line)); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is { } line) node._lines.Enqueue((DateTimeOffset.UtcNow, true, line)); };
        process.Exited += (_, _) => node._exited.TrySetResult();
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return node;
    }

    /// <summary>The first line matching <paramref name="match"/>, waited for up to <paramref name="timeout"/>.</summary>
    public async Task<(DateTimeOffset At, string Text)> LineAsync(Func<string, bool> match, TimeSpan timeout, string what)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (true)
        {
            var exited = _exited.Task.IsCompleted;
            if (exited) await _process.WaitForExitAsync(); // the output is drained: every line it printed is below
            foreach (var line in _lines)
            {
                if (match(line.Text)) return (line.At, line.Text);
            }

            if (exited || DateTimeOffset.UtcNow > deadline)
            {
                throw new TimeoutException($"no line for {what} within {timeout}{(exited ? " (the process exited)" : string.Empty)}:\n{Output()}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>What Kubernetes does to a terminating pod: SIGTERM now, SIGKILL when the grace period ends. True: it exited by itself.</summary>
    public async Task<bool> TerminateAsync(TimeSpan gracePeriod)
    {
        if (kill(_process.Id, SigTerm) != 0) throw new InvalidOperationException($"kill(SIGTERM) failed: errno {Marshal.GetLastPInvokeError()}");
        if (await Task.WhenAny(_exited.Task, Task.Delay(gracePeriod)) == _exited.Task)
        {
            await _process.WaitForExitAsync(); // the output streams are drained too
            return true;
        }

        WasKilled = true;
        _process.Kill();
        await _process.WaitForExitAsync();
        return false;
    }

    public string Output() => string.Join("\n", _lines.Select(l => (l.IsError ? "err| " : "out| ") + l.Text));

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException)
        {
            // Never started or already gone.
        }

        _process.Dispose();
    }

    // .NET can only SIGKILL another process. Linux numbering, like the fleet tests.
    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);
}
