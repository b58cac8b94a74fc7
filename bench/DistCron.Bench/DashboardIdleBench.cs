using System.Globalization;
using System.Text;
using DistCron.Storage.Postgres;
using DistCron.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace DistCron.Bench;

/// <summary>
/// <c>dashboard-idle</c> mode: what open, idle dashboards cost the database. One process, as an app runs it: a DistCron
/// node (one job, never due) and the dashboard, on a throwaway PostgreSQL. In one run it opens 0, 1, then N dashboards
/// (each a page load and its live-update stream, server-sent events), lets them sit idle for a fixed window, and reads
/// from PostgreSQL: the app database's backend connections (pg_stat_activity, sampled; LISTEN ones apart), and the
/// statements (pg_stat_statements) and transactions (pg_stat_database) the window cost. 0 dashboards is the node alone,
/// so the difference is the dashboards' own cost, and N against 1 says whether it grows with the pages.
/// </summary>
internal static class DashboardIdleBench
{
    private const string App = "bench";

    public const string Usage = """
        usage: dotnet run -c Release --project bench/DistCron.Bench -- dashboard-idle [options]   (docs/benchmarks.md)
          --pages 50               open dashboards in the last phase (the run measures 0, 1 and this many)
          --window 30              seconds each phase is left idle and measured
          --settle 5               seconds between opening the pages and the window
          --jobs 1000              job rows the pages show (never due)
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        int pages = 50, window = 30, settle = 5, jobs = 1000;
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v > 0 ? v : -1;
            switch (args[i])
            {
                case "--pages" when value > 0: pages = value; i++; break;
                case "--window" when value > 0: window = value; i++; break;
                case "--settle" when value > 0: settle = value; i++; break;
                case "--jobs" when value > 0: jobs = value; i++; break;
                default:
                    await Console.Error.WriteLineAsync($"bad option '{args[i]}' (each takes a positive whole number)\n{Usage}");
                    return 2;
            }
        }

        await using var server = await PostgresServer.StartAsync(extraSettings: """
            shared_preload_libraries = 'pg_stat_statements'
            pg_stat_statements.track = top
            """);
        var cs = await server.CreateDatabaseAsync("idle");
        var database = new NpgsqlConnectionStringBuilder(cs).Database!;
        // The monitor connects to another database, so it is never among the connections it counts.
        await using var monitor = new NpgsqlConnection(server.ConnectionString());
        await monitor.OpenAsync();
        await ExecuteAsync(monitor, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
        await SeedAsync(cs, jobs);

        await using var host = await StartHostAsync(cs);
        Console.WriteLine($"dashboard-idle: {jobs:N0} jobs, phases of 0, 1 and {pages} open dashboards, {window} s idle each (after {settle} s to settle)");
        var results = new List<Phase>();
        foreach (var open in new[] { 0, 1, pages })
        {
            results.Add(await MeasureAsync(host, monitor, database, open, TimeSpan.FromSeconds(settle), TimeSpan.FromSeconds(window)));
        }

        Console.WriteLine();
        Console.WriteLine(Table(results, window));
        return 0;
    }

    private sealed record Phase(int Pages, int MinBackends, int MaxBackends, int MaxListening, long Statements, long Transactions, long Events, string Mix);

    private static async Task<Phase> MeasureAsync(Host host, NpgsqlConnection monitor, string database, int pages, TimeSpan settle, TimeSpan window)
    {
        using var stop = new CancellationTokenSource();
        var streams = new List<Task>();
        var changes = new EventCounter();
        using var clients = new Disposables();
        for (var i = 0; i < pages; i++)
        {
            // A browser tab: its own connection, the page, then the page's event stream, held open.
            var http = clients.Add(new HttpClient { BaseAddress = host.Address, Timeout = Timeout.InfiniteTimeSpan });
            (await http.GetAsync("distcron/jobs")).EnsureSuccessStatusCode();
            streams.Add(ReadEventsAsync(http, changes, stop.Token));
        }

        await Task.Delay(settle);
        var before = await CountersAsync(monitor, database);
        var eventsBefore = changes.Count;
        var (min, max, listening) = (int.MaxValue, 0, 0);
        var end = DateTime.UtcNow + window;
        while (DateTime.UtcNow < end)
        {
            var (backends, listeners) = await BackendsAsync(monitor, database);
            (min, max, listening) = (Math.Min(min, backends), Math.Max(max, backends), Math.Max(listening, listeners));
            await Task.Delay(TimeSpan.FromMilliseconds(250));
        }

        var after = await CountersAsync(monitor, database);
        var events = changes.Count - eventsBefore;
        await stop.CancelAsync();
        foreach (var stream in streams) await stream;
        var mix = string.Join("; ", after.Calls
            .Select(c => (c.Key, Calls: c.Value - before.Calls.GetValueOrDefault(c.Key)))
            .Where(c => c.Calls > 0).OrderByDescending(c => c.Calls).Take(4)
            .Select(c => $"{c.Calls}× {c.Key}"));
        Console.WriteLine($"  {pages,3} open: {min}-{max} backends ({listening} LISTEN), {after.Statements - before.Statements} statements, {after.Transactions - before.Transactions} transactions, {events} change events");
        return new Phase(pages, min, max, listening, after.Statements - before.Statements, after.Transactions - before.Transactions, events, mix);
    }

    /// <summary>Change events received by every stream of a phase.</summary>
    private sealed class EventCounter
    {
        private long _count;

        public long Count => Interlocked.Read(ref _count);

        public void Add() => Interlocked.Increment(ref _count);
    }

    /// <summary>Reads one event stream until stopped, counting its change events.</summary>
    private static async Task ReadEventsAsync(HttpClient http, EventCounter changes, CancellationToken stop)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "distcron/events");
        request.Headers.Accept.ParseAdd("text/event-stream");
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        try
        {
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(stop));
            while (await reader.ReadLineAsync(stop) is { } line)
            {
                if (line == "event: changed") changes.Add();
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The phase is over.
        }
    }

    private sealed record Counters(long Statements, long Transactions, Dictionary<string, long> Calls);

    private static async Task<Counters> CountersAsync(NpgsqlConnection monitor, string database)
    {
        // The statistics collector publishes a backend's counts when its transaction ends, at most about once a second.
        await Task.Delay(1100);
        var calls = new Dictionary<string, long>(StringComparer.Ordinal);
        await using (var command = new NpgsqlCommand("""
            SELECT regexp_replace(left(s.query, 60), '\s+', ' ', 'g'), sum(s.calls)::bigint
            FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = @db GROUP BY 1
            """, monitor))
        {
            command.Parameters.AddWithValue("db", database);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync()) calls[reader.GetString(0)] = calls.GetValueOrDefault(reader.GetString(0)) + reader.GetInt64(1);
        }

        await using var totals = new NpgsqlCommand("SELECT (xact_commit + xact_rollback)::bigint FROM pg_stat_database WHERE datname = @db", monitor);
        totals.Parameters.AddWithValue("db", database);
        var transactions = (long)(await totals.ExecuteScalarAsync())!;
        return new Counters(calls.Values.Sum(), transactions, calls);
    }

    private static async Task<(int Backends, int Listening)> BackendsAsync(NpgsqlConnection monitor, string database)
    {
        await using var command = new NpgsqlCommand("""
            SELECT count(*)::int, count(*) FILTER (WHERE query ILIKE 'LISTEN%')::int
            FROM pg_stat_activity WHERE datname = @db AND backend_type = 'client backend'
            """, monitor);
        command.Parameters.AddWithValue("db", database);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt32(0), reader.GetInt32(1));
    }

    private static string Table(List<Phase> phases, int window)
    {
        var idle = phases[0];
        var one = phases[1];
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"| open dashboards | backend connections (min–max) | of them LISTEN | statements in {window} s | transactions | statements above 0 dashboards | change events |");
        text.AppendLine("|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var p in phases)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {p.Pages} | {p.MinBackends}–{p.MaxBackends} | {p.MaxListening} | {p.Statements} | {p.Transactions} | {p.Statements - idle.Statements} | {p.Events} |");
        }

        var last = phases[^1];
        var perOne = one.Statements - idle.Statements;
        var ratio = perOne > 0 ? ((double)(last.Statements - idle.Statements) / perOne).ToString("F2", CultureInfo.InvariantCulture) + "×" : "n/a";
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Dashboards' own statements, {last.Pages} open ÷ 1 open: {ratio}");
        foreach (var p in phases) text.AppendLine(CultureInfo.InvariantCulture, $"Statement mix, {p.Pages} open: {p.Mix}");
        return text.ToString();
    }

    private sealed record Host(WebApplication Web, Uri Address) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Web.StopAsync();
            await Web.DisposeAsync();
        }
    }

    // The app as a user runs it: a node with its jobs and the dashboard in one process, sharing the store.
    private static async Task<Host> StartHostAsync(string cs)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production", Args = [] });
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddDistCron(o =>
        {
            o.UsePostgres(cs);
            o.App = App;
            o.AddJobs([new JobDefinition("yearly", "0 0 1 1 *", CronFormat.Standard, "UTC", MisfirePolicy.RunOnce, null, null, 0, "yearly-h1",
                "DistCron.Bench.Idle", "Yearly", (_, _, _) => ValueTask.CompletedTask)]);
        });
        var web = builder.Build();
        web.MapDistCronDashboard("/distcron").AllowAnonymous();
        await web.StartAsync();
        var address = web.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new Host(web, new Uri(address + "/"));
    }

    // Jobs for the pages to show, none due within the run (the node has code for none of them: they stay idle).
    private static async Task SeedAsync(string cs, int jobs)
    {
        await using var connection = new NpgsqlConnection(cs);
        await connection.OpenAsync();
        await ExecuteAsync(connection, PostgresJobStore.GetSchemaSql());
        await ExecuteAsync(connection, $"""
            INSERT INTO distcron.jobs (app, name, schedule, time_zone, definition_hash, next_due_at, occurrence_at)
            SELECT '{App}', 'job-' || lpad(i::text, 5, '0'), '0 0 1 1 *', 'UTC', 'h', now() + interval '300 days', now() + interval '300 days'
            FROM generate_series(1, {jobs}) i
            """);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync();
    }

    private sealed class Disposables : IDisposable
    {
        private readonly List<IDisposable> _items = [];

        public T Add<T>(T item) where T : IDisposable
        {
            _items.Add(item);
            return item;
        }

        public void Dispose()
        {
            foreach (var item in _items) item.Dispose();
        }
    }
}
