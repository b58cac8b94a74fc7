using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace DistCron.Sample;

/// <summary>
/// <c>--nodes n</c>: starts n copies of this program as separate processes on one database, relays their output and,
/// at the end, shows how the runs were spread and that no occurrence ran twice.
/// </summary>
public static partial class Launcher
{
    public static async Task<int> RunAsync(SampleArguments arguments)
    {
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true; // keep the launcher alive until its children have stopped
            stop.Cancel();
        };
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            stop.Cancel();
        });

        var runs = new ConcurrentBag<RunLine>();
        var children = Enumerable.Range(1, arguments.Nodes).Select(i => Start(arguments, i)).ToList();
        Console.WriteLine($"Started {children.Count} node processes (pids {string.Join(", ", children.Select(c => c.Id))}) on " +
            (arguments.Postgres is null ? arguments.DatabasePath : "PostgreSQL") + ". Ctrl+C stops them.");

        var relays = children.SelectMany(c => new[]
        {
            Relay(c.StandardOutput, Console.Out, runs),
            Relay(c.StandardError, Console.Error, null),
        }).ToList();
        var exited = Task.WhenAll(children.Select(c => c.WaitForExitAsync()));

        await Task.WhenAny(exited, Task.Delay(Timeout.Infinite, stop.Token).ContinueWith(_ => { }, TaskScheduler.Default));
        if (!exited.IsCompleted)
        {
            Console.WriteLine("Stopping the nodes…");
            foreach (var child in children) child.StandardInput.Close(); // each child stops gracefully on EOF
        }

        if (await Task.WhenAny(exited, Task.Delay(TimeSpan.FromSeconds(30))) != exited)
        {
            foreach (var child in children.Where(c => !c.HasExited))
            {
                Console.Error.WriteLine($"Node process {child.Id} did not stop within 30 s; killing it.");
                child.Kill(entireProcessTree: true);
            }
        }

        await Task.WhenAll(relays);
        var failedChildren = children.Count(c => c.ExitCode != 0);
        var duplicates = Summarise(runs.ToList());
        foreach (var child in children) child.Dispose();
        return duplicates == 0 && failedChildren == 0 ? 0 : 1;
    }

    private static Process Start(SampleArguments arguments, int index)
    {
        // Started through the apphost by "dotnet run"; through dotnet + the dll when run as "dotnet DistCron.Sample.dll".
        var host = Environment.ProcessPath!;
        var info = new ProcessStartInfo(host)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (Path.GetFileNameWithoutExtension(host).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            info.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location);
        }

        foreach (var arg in arguments.ForChild(index)) info.ArgumentList.Add(arg);
        return Process.Start(info) ?? throw new InvalidOperationException($"Could not start node process {index}.");
    }

    private static async Task Relay(StreamReader from, TextWriter to, ConcurrentBag<RunLine>? runs)
    {
        while (await from.ReadLineAsync() is { } line)
        {
            lock (to) to.WriteLine(line);
            if (runs is not null && RunLine.TryParse(line) is { } run) runs.Add(run);
        }
    }

    private static int Summarise(IReadOnlyList<RunLine> runs)
    {
        Console.WriteLine();
        Console.WriteLine($"{runs.Count} runs:");
        foreach (var node in runs.GroupBy(r => r.Node).OrderBy(g => g.Key))
        {
            Console.WriteLine($"  {node.Key}: {node.Count()} ({string.Join(", ", node.GroupBy(r => r.Job).OrderBy(g => g.Key).Select(g => $"{g.Key} ×{g.Count()}"))})");
        }

        var duplicates = runs.GroupBy(r => (r.Job, r.Occurrence, r.Attempt)).Where(g => g.Count() > 1).ToList();
        foreach (var d in duplicates)
        {
            Console.WriteLine($"  DUPLICATE: {d.Key.Job} @ {d.Key.Occurrence} attempt {d.Key.Attempt} ran on {string.Join(", ", d.Select(r => r.Node))}");
        }

        Console.WriteLine(duplicates.Count == 0
            ? "Every (job, occurrence, attempt) ran exactly once across the nodes."
            : $"{duplicates.Count} occurrence(s) ran more than once!");
        return duplicates.Count;
    }
}

/// <summary>One parsed job line: <c>[node] job @ occurrence (attempt n) outcome: detail</c>.</summary>
public sealed partial record RunLine(string Node, string Job, string Occurrence, int Attempt)
{
    public static RunLine? TryParse(string line)
    {
        var m = Pattern().Match(line);
        return m.Success
            ? new RunLine(m.Groups["node"].Value, m.Groups["job"].Value, m.Groups["occ"].Value, int.Parse(m.Groups["attempt"].Value, System.Globalization.CultureInfo.InvariantCulture))
            : null;
    }

    [GeneratedRegex(@"^\[(?<node>[^\]]+)\] (?<job>\S+) @ (?<occ>\S+) \(attempt (?<attempt>\d+)\)")]
    private static partial Regex Pattern();
}
