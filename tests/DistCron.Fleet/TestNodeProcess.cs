using System.Diagnostics;
using System.Reflection;

namespace DistCron.Fleet;

/// <summary>
/// One DistCron.TestNode child process. Its stdout and stderr go to a log file (and are always drained, so a chatty
/// node never blocks on a full pipe). Disposing kills it: a failed test never leaves a node behind.
/// </summary>
public sealed class TestNodeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;
    private Action<string, DateTimeOffset, DateTimeOffset>? _stalled;
    private readonly object _logGate = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _runLines;
    private TaskCompletionSource _nextRun = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _logClosed;

    private TestNodeProcess(string nodeId, Process process, StreamWriter log)
    {
        NodeId = nodeId;
        _process = process;
        _log = log;
    }

    /// <summary>The DistCron node id this process runs with (unique per process: a restart gets a new one).</summary>
    public string NodeId { get; }

    /// <summary>OS process id.</summary>
    public int ProcessId => _process.Id;

    /// <summary>Completes when the node printed its "ready" line; faults if it exited before.</summary>
    public Task Ready => _ready.Task;

    /// <summary>The "ready" line, with the job names the node registered.</summary>
    public string? ReadyLine { get; private set; }

    /// <summary>How many "run" lines the node printed.</summary>
    public int RunLines => Volatile.Read(ref _runLines);

    /// <summary>
    /// Completes when the node prints its next "run" line. The line is printed after the audit row is written and
    /// before the run's 100-300 ms of work, so a signal sent right after lands in the middle of that run.
    /// </summary>
    public Task NextRun => Volatile.Read(ref _nextRun).Task;

    /// <summary>True while stopped by <see cref="Freeze"/>.</summary>
    public bool IsFrozen { get; private set; }

    /// <summary>True once the harness killed it (SIGKILL), as opposed to a stop or a crash.</summary>
    public bool WasKilled { get; private set; }

    /// <summary>True once the harness asked it to stop gracefully.</summary>
    public bool StopRequested { get; private set; }

    public bool HasExited => _process.HasExited;

    /// <summary>
    /// Running jobs: not exited or frozen, and it ran at least one. "Ready" alone is not enough: the host is ready
    /// before the engine's start-up (migrate, seed, register) is through, which a database outage can stretch.
    /// </summary>
    public bool IsHealthy => !HasExited && !IsFrozen && Ready.IsCompletedSuccessfully && RunLines > 0;

    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    /// <summary>Where its output goes.</summary>
    public string LogPath { get; private init; } = string.Empty;

    /// <summary>Starts <c>dotnet DistCron.TestNode.dll</c> with the given arguments (which must include the node id).</summary>
    /// <param name="stalled">Called with each stretch the node reported it could not run (its "stall" lines).</param>
    public static TestNodeProcess Start(string nodeId, IEnumerable<string> arguments, string logDirectory,
        Action<string, DateTimeOffset, DateTimeOffset>? stalled = null)
    {
        Directory.CreateDirectory(logDirectory);
        var logPath = Path.Combine(logDirectory, nodeId + ".log");
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
            WorkingDirectory = logDirectory,
        };
        start.ArgumentList.Add(TestNodeDll());
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        // The node must not inherit a test host's or an IDE's environment that changes how it starts.
        start.Environment.Remove("DOTNET_STARTUP_HOOKS");

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        var node = new TestNodeProcess(nodeId, process, log) { LogPath = logPath, _stalled = stalled };
        process.OutputDataReceived += (_, e) => node.OnOutput(e.Data, isError: false);
        process.ErrorDataReceived += (_, e) => node.OnOutput(e.Data, isError: true);
        process.Exited += (_, _) => node._ready.TrySetException(
            new InvalidOperationException($"test node {nodeId} exited with code {SafeExitCode(process)} before it was ready; see {logPath}"));
        if (!process.Start())
        {
            throw new InvalidOperationException($"could not start {start.FileName}");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return node;
    }

    /// <summary>SIGKILL, no goodbye: its leases stay in the database until they expire.</summary>
    /// <remarks>
    /// The node is a single process (the dotnet muxer runs the app in-process), so there is no tree to walk; walking
    /// it (<c>Kill(entireProcessTree: true)</c>) scans /proc and took hundreds of milliseconds on a loaded machine,
    /// long enough for an aimed kill to miss the run it aimed at.
    /// </remarks>
    public void Kill()
    {
        WasKilled = true;
        try
        {
            _process.Kill();
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }

        IsFrozen = false;
    }

    /// <summary>SIGSTOP: the process keeps its sockets and leases but runs no instruction (a GC pause, a VM stall).</summary>
    public void Freeze()
    {
        PosixSignals.Send(_process.Id, PosixSignals.SigStop);
        IsFrozen = true;
    }

    /// <summary>SIGCONT: the zombie wakes up believing it still owns what it owned.</summary>
    public void Thaw()
    {
        PosixSignals.Send(_process.Id, PosixSignals.SigCont);
        IsFrozen = false;
    }

    /// <summary>SIGTERM and wait; kills it if it did not exit in time. True when it exited gracefully with code 0.</summary>
    public async Task<bool> StopAsync(TimeSpan timeout)
    {
        if (_process.HasExited) return _process.ExitCode == 0 && !WasKilled;
        StopRequested = true;
        if (IsFrozen) Thaw();
        // A node restarted late in the window may still be starting on a loaded machine (its log empty): before its
        // host runs, SIGTERM takes the runtime's default action (exit 143), which the audit reports as a failed stop.
        // Let it finish starting (it prints "ready") within the same timeout.
        await Task.WhenAny(Ready, _process.WaitForExitAsync(), Task.Delay(timeout));
        if (_process.HasExited) return _process.ExitCode == 0 && !WasKilled;
        PosixSignals.Send(_process.Id, PosixSignals.SigTerm);
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return _process.ExitCode == 0;
        }
        catch (OperationCanceledException)
        {
            Kill();
            await _process.WaitForExitAsync();
            return false;
        }
    }

    public async Task WaitForExitAsync(CancellationToken cancellationToken) => await _process.WaitForExitAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                Kill();
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await _process.WaitForExitAsync(cts.Token);
            }
            else
            {
                // Let the asynchronous readers drain the last lines into the log.
                _process.WaitForExit();
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or OperationCanceledException)
        {
            // Never started or already reaped: nothing left to kill.
        }
        finally
        {
            lock (_logGate)
            {
                _logClosed = true;
                _log.Dispose();
            }

            _process.Dispose();
        }
    }

    /// <summary>The last lines of its log, for a failure message.</summary>
    public string Tail(int lines = 20)
    {
        try
        {
            using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            var all = reader.ReadToEnd().Split('\n');
            return string.Join('\n', all.TakeLast(lines));
        }
        catch (IOException ex)
        {
            return $"(log unreadable: {ex.Message})";
        }
    }

    private void OnOutput(string? line, bool isError)
    {
        if (line is null) return;
        if (!isError)
        {
            if (line.StartsWith("run ", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref _runLines);
                Interlocked.Exchange(ref _nextRun, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
            }
            else if (line.StartsWith("stall ", StringComparison.Ordinal))
            {
                if (_stalled is not null && ParseStall(line) is var (from, to)) _stalled(NodeId, from, to);
            }
            else if (line.StartsWith("ready ", StringComparison.Ordinal))
            {
                ReadyLine = line;
                _ready.TrySetResult();
            }
        }

        lock (_logGate)
        {
            if (_logClosed) return;
            _log.Write(DateTimeOffset.UtcNow.ToString("HH:mm:ss.fff", System.Globalization.CultureInfo.InvariantCulture));
            _log.Write(isError ? " ! " : "   ");
            _log.WriteLine(line);
        }
    }

    // "stall from=<unix ms> to=<unix ms>"
    private static (DateTimeOffset From, DateTimeOffset To)? ParseStall(string line)
    {
        var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 3 || !parts[1].StartsWith("from=", StringComparison.Ordinal) || !parts[2].StartsWith("to=", StringComparison.Ordinal)) return null;
        return long.TryParse(parts[1].AsSpan(5), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var from)
               && long.TryParse(parts[2].AsSpan(3), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var to)
            ? (DateTimeOffset.FromUnixTimeMilliseconds(from), DateTimeOffset.FromUnixTimeMilliseconds(to))
            : null;
    }

    private static string SafeExitCode(Process process)
    {
        try
        {
            return process.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (InvalidOperationException)
        {
            return "?";
        }
    }

    /// <summary>The test node assembly as built next to this library (see DistCron.Fleet.csproj), or DISTCRON_TESTNODE_DLL.</summary>
    public static string TestNodeDll()
    {
        var path = Environment.GetEnvironmentVariable("DISTCRON_TESTNODE_DLL");
        if (string.IsNullOrEmpty(path))
        {
            path = typeof(TestNodeProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .FirstOrDefault(a => a.Key == "DistCron.TestNodeDll")?.Value;
        }

        if (string.IsNullOrEmpty(path) || !File.Exists(path))
        {
            throw new FileNotFoundException(
                $"DistCron.TestNode.dll not found at '{path}'. Build it first (dotnet build tests/DistCron.TestNode), " +
                "or point DISTCRON_TESTNODE_DLL at it.");
        }

        return path;
    }

    // The muxer that runs this process when it is one (dotnet test, dotnet tool.dll), else the one on PATH.
    private static string DotnetHost()
    {
        var fromSdk = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(fromSdk) && File.Exists(fromSdk)) return fromSdk;
        var self = Environment.ProcessPath;
        if (self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet") return self;
        var root = Environment.GetEnvironmentVariable("DOTNET_ROOT");
        if (!string.IsNullOrEmpty(root) && File.Exists(Path.Combine(root, "dotnet"))) return Path.Combine(root, "dotnet");
        return "dotnet";
    }
}
