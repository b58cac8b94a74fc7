using System.Diagnostics;
using System.Globalization;

namespace DistCron.TestNode;

/// <summary>
/// Reports every stretch of time in which this process could not run: a dedicated thread sleeps a few milliseconds
/// at a time and prints one <c>stall from=… to=…</c> line (unix ms, machine clock) when it woke up much later than it
/// asked. That happens when the machine's CPUs are taken by other processes or the runtime suspended every thread (a
/// blocking GC) — for the node exactly like a SIGSTOP: its leases can run out while it is alive. The chaos audit
/// counts such a stall as a cause of a takeover, as it does a freeze. Thread-pool starvation inside the process is
/// not seen here (this thread is not a pool thread), so a node that blocks its own pool is never excused.
/// </summary>
internal static class StallWatch
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(10);

    /// <summary>The shortest stall reported: much longer than a scheduling quantum, much shorter than a chaos lease.</summary>
    public static readonly TimeSpan Threshold = TimeSpan.FromMilliseconds(300);

    public static void Start(TextWriter output)
    {
        var thread = new Thread(() => Watch(output)) { IsBackground = true, Name = "stall-watch" };
        thread.Start();
    }

    private static void Watch(TextWriter output)
    {
        var clock = Stopwatch.StartNew();
        var last = clock.Elapsed;
        while (true)
        {
            Thread.Sleep(Tick);
            var now = clock.Elapsed;
            var late = now - last - Tick;
            last = now;
            if (late < Threshold) continue;

            var to = DateTimeOffset.UtcNow;
            var from = to - late;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"stall from={from.ToUnixTimeMilliseconds()} to={to.ToUnixTimeMilliseconds()}"));
        }
    }
}
