using System.Diagnostics;
using System.Reflection;
using DistCron.Storage;
using DistCron.Storage.Sqlite;
using Xunit.Abstractions;

namespace DistCron.Tests.Storage;

/// <summary>
/// Several OS processes share one SQLite file and claim the same due rows: SQLite's file locks (WAL, BEGIN IMMEDIATE)
/// must give every (job, occurrence) to exactly one process, and every completion must be accepted.
/// </summary>
public sealed class SqliteMultiProcessTests : IAsyncLifetime
{
    private const string App = "multi-process";
    private readonly string _path = SqliteJobStoreTests.NewDatabasePath();
    private readonly ITestOutputHelper _output;

    public SqliteMultiProcessTests(ITestOutputHelper output) => _output = output;

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        SqliteJobStoreTests.DeleteDatabase(_path);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Three_processes_sharing_one_file_run_every_occurrence_exactly_once()
    {
        const int jobCount = 16, occurrencesPerJob = 3, processCount = 3;
        var names = Enumerable.Range(0, jobCount).Select(i => $"job{i:00}").ToList();
        DateTimeOffset start;
        await using (var store = new SqliteJobStore(_path))
        {
            await store.MigrateAsync(CancellationToken.None);
            var now = await store.GetDatabaseTimeAsync(CancellationToken.None);
            start = DateTimeOffset.FromUnixTimeMilliseconds(now.AddHours(-1).ToUnixTimeMilliseconds());
            await store.SeedAsync(App, names.Select(n => new SeedJob(n, "* * * * * *", "UTC", "h", start)).ToList(), CancellationToken.None);
        }

        var lastOccurrence = start.AddSeconds(occurrencesPerJob - 1).ToUnixTimeMilliseconds();
        var processes = Enumerable.Range(0, processCount)
            .Select(i => StartProbe($"proc{i}", string.Join(',', names), lastOccurrence))
            .ToList();
        // Drain stderr from the start, so a chatty child can never block on a full pipe.
        var errors = processes.Select(p => p.StandardError.ReadToEndAsync()).ToList();
        try
        {
            // Barrier: every process has opened the file before any claims, so they really compete.
            foreach (var p in processes) Assert.Equal("READY", await p.StandardOutput.ReadLineAsync());
            foreach (var p in processes) await p.StandardInput.WriteLineAsync("go");

            var outputs = await Task.WhenAll(processes.Select(p => p.StandardOutput.ReadToEndAsync()));
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            foreach (var p in processes) await p.WaitForExitAsync(timeout.Token);

            for (var i = 0; i < processCount; i++)
            {
                Assert.True(processes[i].ExitCode == 0, $"proc{i} exited with {processes[i].ExitCode}: {await errors[i]}");
            }

            var lines = outputs.SelectMany((o, i) => o.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(l => (Process: i, Fields: l.Split(' ')))).ToList();
            Assert.DoesNotContain(lines, l => l.Fields[0] == "LOST");
            var runs = lines.Where(l => l.Fields[0] == "RUN").Select(l => (Job: l.Fields[1], Occurrence: l.Fields[2], l.Process)).ToList();
            Assert.All(runs.GroupBy(r => (r.Job, r.Occurrence)), g => Assert.Single(g));
            Assert.Equal(jobCount * occurrencesPerJob, runs.Count);
            foreach (var g in runs.GroupBy(r => r.Process)) _output.WriteLine($"proc{g.Key} ran {g.Count()} occurrence(s)");
        }
        finally
        {
            foreach (var p in processes)
            {
                if (!p.HasExited) p.Kill(entireProcessTree: true);
                p.Dispose();
            }
        }

        await using var check = new SqliteJobStore(_path);
        foreach (var name in names)
        {
            var history = await check.GetHistoryAsync(App, name, 10, CancellationToken.None);
            Assert.Equal(occurrencesPerJob, history.Count);
            Assert.Equal(occurrencesPerJob, history.Select(h => h.OccurrenceAt).Distinct().Count());
        }
    }

    private Process StartProbe(string node, string names, long lastOccurrence)
    {
        var probe = typeof(SqliteMultiProcessTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "SqliteProbe").Value!;
        Assert.True(File.Exists(probe), $"the probe was not built at {probe}");
        // The same dotnet host that runs this test (PATH may hold another one).
        var host = Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath! : "dotnet";
        var info = new ProcessStartInfo(host)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { probe, _path, App, node, names, lastOccurrence.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            info.ArgumentList.Add(arg);
        }

        return Process.Start(info)!;
    }
}
