using System.Diagnostics;
using System.Globalization;

namespace DistCron.TestNode;

/// <summary>
/// Reports every stretch of time in which this process could not run, as one <c>stall from=… to=…</c> line (unix ms,
/// machine clock) each. The chaos audit counts such a stall as a cause of a takeover, as it does a freeze: for the
/// node it is the same thing, its leases can run out while it is alive. Two kinds are seen:
/// <list type="bullet">
/// <item><description>no thread ran at all: a dedicated thread sleeping a few milliseconds at a time woke up much
/// later than it asked (SIGSTOP, a blocking GC that suspended every thread, a VM pause);</description></item>
/// <item><description>the machine's CPUs were taken by other processes: the kernel's per-thread run-queue wait
/// (<c>/proc/self/task/*/schedstat</c>) grew by at least one thread's worth of wall time — threads that were ready to
/// run waited for a CPU for that long.</description></item>
/// </list>
/// Neither sees a node that starves itself: a thread blocked on a lock or a synchronous wait is not waiting for a CPU,
/// so a node that blocks its own thread pool is never excused.
/// </summary>
internal static class StallWatch
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan Sample = TimeSpan.FromMilliseconds(100);

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
        var sampledAt = last;
        var waited = RunQueueWait();
        DateTimeOffset? starvedSince = null;
        while (true)
        {
            Thread.Sleep(Tick);
            var now = clock.Elapsed;
            var late = now - last - Tick;
            last = now;
            if (late >= Threshold) Report(output, DateTimeOffset.UtcNow - late, DateTimeOffset.UtcNow);

            if (now - sampledAt < Sample || waited is null) continue;
            var waitedNow = RunQueueWait();
            if (waitedNow is null) continue;
            var starved = waitedNow.Value - waited.Value >= now - sampledAt;
            var sampleStart = DateTimeOffset.UtcNow - (now - sampledAt);
            sampledAt = now;
            waited = waitedNow;
            if (starved)
            {
                starvedSince ??= sampleStart;
            }
            else if (starvedSince is { } since)
            {
                starvedSince = null;
                if (sampleStart - since >= Threshold) Report(output, since, sampleStart);
            }
        }
    }

    private static void Report(TextWriter output, DateTimeOffset from, DateTimeOffset to) =>
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"stall from={from.ToUnixTimeMilliseconds()} to={to.ToUnixTimeMilliseconds()}"));

    // Sum over this process's threads of the time they were runnable but waited for a CPU; null where the kernel does
    // not say. A thread that exited takes its share with it, which only ever under-reports a stall.
    private static TimeSpan? RunQueueWait()
    {
        try
        {
            long nanoseconds = 0;
            foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
            {
                try
                {
                    var fields = File.ReadAllText(Path.Combine(task, "schedstat")).Split(' ');
                    if (fields.Length >= 2 && long.TryParse(fields[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var wait)) nanoseconds += wait;
                }
                catch (IOException)
                {
                    // The thread exited between the listing and the read.
                }
            }

            return TimeSpan.FromTicks(nanoseconds / 100);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
