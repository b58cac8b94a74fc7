using System.Diagnostics;

namespace DistCron.Bench;

/// <summary>
/// Records every job entry in a node: wall-clock entry time and start lag (entry − scheduled instant), lock-free into
/// a preallocated buffer, written to a file when the node stops. Nothing is logged per run (that would cost more
/// than the no-op job being measured).
/// </summary>
internal sealed class Recorder(int capacity)
{
    private readonly long[] _entryMs = new long[capacity];
    private readonly float[] _lagMs = new float[capacity];
    private int _count;

    public void Record(DateTimeOffset scheduledFor)
    {
        var now = DateTimeOffset.UtcNow;
        var i = Interlocked.Increment(ref _count) - 1;
        if (i >= _entryMs.Length) return;
        _entryMs[i] = now.ToUnixTimeMilliseconds();
        _lagMs[i] = (float)(now - scheduledFor).TotalMilliseconds;
    }

    /// <summary>Text lines "entryUnixMs lagMs".</summary>
    public void WriteTo(string path)
    {
        var n = Math.Min(Volatile.Read(ref _count), _entryMs.Length);
        using var writer = new StreamWriter(path);
        for (var i = 0; i < n; i++) writer.Write($"{_entryMs[i]} {_lagMs[i]:0.###}\n");
    }

    /// <summary>A stdout line the harness reacts to (takeover measurement); flushed at once.</summary>
    public static void Event(string text)
    {
        Console.Out.WriteLine($"EVENT {text} {DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()} {Environment.ProcessId}");
        Console.Out.Flush();
    }

    public static long NowMs() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    public static double Percentile(IReadOnlyList<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];

    public static Stopwatch Timer() => Stopwatch.StartNew();
}
