using System.Collections.Concurrent;
using System.Diagnostics;

namespace DistCron.Bench;

/// <summary>A node child process: this executable in "node" mode. Captures stdout events and CPU ticks.</summary>
internal sealed class NodeProcess : IAsyncDisposable
{
    private static readonly long ClockTicksPerSecond = 100; // USER_HZ on Linux
    private readonly Process _process;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentQueue<string> _stderr = new();
    private static readonly ConcurrentDictionary<NodeProcess, bool> Live = new();

    // SIGTERM on the harness (ProcessExit) must not leave node processes behind (they would keep loading the
    // machine); Ctrl+C goes through Interrupt.
    static NodeProcess()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();
    }

    /// <summary>Kills every node process this harness started and that still runs.</summary>
    public static void KillAll()
    {
        foreach (var node in Live.Keys) node.Kill();
    }

    public NodeProcess(string kind, string connectionString, string sampleFile, IEnumerable<string> options)
    {
        SampleFile = sampleFile;
        var info = new ProcessStartInfo { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        var self = Environment.ProcessPath!;
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            info.FileName = self;
            info.ArgumentList.Add(typeof(NodeProcess).Assembly.Location);
        }
        else info.FileName = self;
        foreach (var a in new[] { "node", kind }.Concat(options).Append("out=" + sampleFile)) info.ArgumentList.Add(a);
        info.Environment["BENCH_CS"] = connectionString;
        info.Environment["DOTNET_gcServer"] = "0";
        // Up to 8 node processes share 2 cores with PostgreSQL here: idle thread-pool workers spinning before they sleep
        // would burn the cores the others need. Applies to every .NET contender alike (DistCron and Quartz).
        info.Environment["DOTNET_ThreadPool_UnfairSemaphoreSpinLimit"] = "0";
        _process = new Process { StartInfo = info, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            if (e.Data == "READY") _ready.TrySetResult();
            else if (e.Data.StartsWith("JIT ", StringComparison.Ordinal)) Volatile.Write(ref _jitMs, double.Parse(e.Data[4..], System.Globalization.CultureInfo.InvariantCulture));
            else if (e.Data.StartsWith("EVENT ", StringComparison.Ordinal)) Events.Enqueue(e.Data[6..]);
        };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null && _stderr.Count < 200) _stderr.Enqueue(e.Data); };
        _process.Exited += (_, _) => _ready.TrySetException(new InvalidOperationException($"node exited early ({_process.ExitCode}): {Stderr}"));
        _process.Start();
        Live[this] = true;
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    private double _jitMs;

    /// <summary>Milliseconds the node has spent in the JIT so far (reported twice a second).</summary>
    public double JitMs => Volatile.Read(ref _jitMs);

    public int Pid => _process.Id;
    public string SampleFile { get; }
    public ConcurrentQueue<string> Events { get; } = new();
    public string Stderr => string.Join('\n', _stderr.Take(40));
    public bool HasExited => _process.HasExited;

    public async Task WaitReadyAsync(TimeSpan timeout) => await _ready.Task.WaitAsync(timeout);

    /// <summary>utime + stime in seconds, from /proc/&lt;pid&gt;/stat (fields 14 and 15).</summary>
    public double CpuSeconds()
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{Pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (long.Parse(fields[11]) + long.Parse(fields[12])) / (double)ClockTicksPerSecond;
        }
        catch (IOException) { return double.NaN; }
    }

    public void Kill()
    {
        try { if (!_process.HasExited) _process.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { } // already gone
    }

    /// <summary>SIGTERM (graceful: the node writes its samples), then waits.</summary>
    public async Task StopAsync()
    {
        if (_process.HasExited) return;
        ProcessRunnerKill.Term(Pid);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try { await _process.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException) { Kill(); }
    }

    /// <summary>(entryUnixMs, lagMs) samples written by the node at shutdown.</summary>
    public List<(long EntryMs, double LagMs)> ReadSamples()
    {
        var list = new List<(long, double)>();
        if (!File.Exists(SampleFile)) return list;
        foreach (var line in File.ReadLines(SampleFile))
        {
            var sp = line.IndexOf(' ');
            list.Add((long.Parse(line[..sp]), double.Parse(line[(sp + 1)..], System.Globalization.CultureInfo.InvariantCulture)));
        }
        return list;
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        try { await _process.WaitForExitAsync(); } catch (InvalidOperationException) { }
        Live.TryRemove(this, out _);
        _process.Dispose();
    }
}

internal static class ProcessRunnerKill
{
    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);

    public static void Term(int pid) => kill(pid, 15);
    public static void KillHard(int pid) => kill(pid, 9);
}
