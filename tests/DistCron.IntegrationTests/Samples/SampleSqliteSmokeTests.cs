using System.Diagnostics;
using System.Reflection;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using DistCron.Tests.Dashboard;
using DistCron.Storage;
using DistCron.Storage.Sqlite;
using DistCron.Tests.Infrastructure;
using Xunit.Abstractions;

namespace DistCron.Tests.Samples;

/// <summary>
/// End to end: the sample with <c>--nodes 2 --run-for 20</c> on a temp SQLite file. Two real node processes run the
/// engine against one file; the test checks the launcher's own verdict AND the store's history: no occurrence ran twice.
/// </summary>
public sealed partial class SampleSqliteSmokeTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "distcron-tests", "sample-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Two_sample_nodes_on_one_sqlite_file_run_each_occurrence_once_and_stop_by_themselves()
    {
        var database = Path.Combine(_folder, "sample.db");
        var text = await RunSampleAsync("--nodes", "2", "--run-for", "20", "--db", database);
        Assert.Contains("ran exactly once across the nodes", text);
        Assert.Contains("search.sync-index @ ", text);

        var sitemap = XDocument.Load(Path.Combine(_folder, "site", "sitemap.xml"));
        Assert.NotEmpty(sitemap.Root!.Elements());

        await using var store = new SqliteJobStore(database);
        var jobs = await store.ListJobsAsync("sample-site", CancellationToken.None);
        Assert.Equal(4, jobs.Count);
        Assert.All(jobs, j => Assert.Null(j.OwnerNode)); // graceful stop: nothing left claimed
        foreach (var job in jobs)
        {
            var history = await store.GetHistoryAsync("sample-site", job.Name, 1000, CancellationToken.None);
            Assert.All(history.GroupBy(h => (h.OccurrenceAt, h.Attempt)), g => Assert.Single(g));
        }
    }

    [Fact]
    public async Task The_telemetry_flag_prints_distcron_spans_and_metrics_with_the_console_exporter()
    {
        var text = await RunSampleAsync("--run-for", "15", "--telemetry", "--db", Path.Combine(_folder, "sample.db"));

        Assert.Contains("Activity.DisplayName:        distcron.run ", text); // one span per run
        Assert.Contains("Metric Name: distcron.runs,", text);                 // flushed at the latest on shutdown
        Assert.Contains("Metric Name: distcron.run.start_lag,", text);
    }

    [Fact]
    public async Task The_sample_serves_the_dashboard_on_loopback_and_prints_its_address_and_the_jobs_show_there_live()
    {
        var sample = typeof(SampleSqliteSmokeTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "Sample").Value!;
        // Port 0: a free port, as the default 5080 may be taken on a shared machine; the address line is the same.
        using var process = ServingProcess.Start("dotnet", [sample, "--run-for", "30", "--dashboard-port", "0", "--db", Path.Combine(_folder, "sample.db")]);
        var address = await process.WaitForAddressAsync(DashboardLine(), TimeSpan.FromMinutes(2));
        Assert.Equal("127.0.0.1", address.Host);
        using var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };

        // The node seeds its jobs in the background once the host has started, so on a loaded machine the first page
        // can come before them; the page (live) shows them as soon as they are seeded.
        string[] names = ["sitemap.regenerate", "maintenance.clean-temp-files", "search.sync-index"];
        await Eventually.TrueAsync(async () =>
        {
            var jobs = await http.GetStringAsync("jobs");
            return names.All(job => jobs.Contains(job, StringComparison.Ordinal));
        }, "the jobs page lists the three sample jobs", TimeSpan.FromSeconds(60));

        // Live: the stream says "changed" as the jobs run, and their runs show in the history.
        using (var events = await http.GetStreamAsync("events"))
        using (var reader = new StreamReader(events))
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            string? line;
            do line = await reader.ReadLineAsync(timeout.Token);
            while (line is not null && line != "event: changed");
            Assert.Equal("event: changed", line);
        }

        await Eventually.TrueAsync(async () => (await http.GetStringAsync("api/jobs/sitemap.regenerate/history")).Contains("\"succeeded\"", StringComparison.Ordinal),
            "a succeeded run of sitemap.regenerate shows in the dashboard", TimeSpan.FromSeconds(30));
        Assert.Equal(0, await process.WaitForExitAsync(TimeSpan.FromMinutes(1)));
        output.WriteLine(process.Output);
    }

    [GeneratedRegex(@"Dashboard: (?<url>http://\S+/distcron/)")]
    private static partial Regex DashboardLine();

    // Runs the built sample as a child process (as a user would with dotnet run) and returns its stdout.
    private async Task<string> RunSampleAsync(params string[] args)
    {
        var sample = typeof(SampleSqliteSmokeTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "Sample").Value!;
        Assert.True(File.Exists(sample), $"the sample was not built at {sample}");
        var host = Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath! : "dotnet";
        var info = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(sample);
        foreach (var arg in args) info.ArgumentList.Add(arg);

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using (var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3)))
        {
            await process.WaitForExitAsync(timeout.Token);
        }

        var text = await stdout;
        output.WriteLine(text);
        Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode}\n{text}\n{await stderr}");
        return text;
    }

    public void Dispose()
    {
        SqliteFiles.Delete(Path.Combine(_folder, "sample.db"));
        try { Directory.Delete(_folder, recursive: true); }
        catch (IOException) { /* best effort */ }
    }
}
