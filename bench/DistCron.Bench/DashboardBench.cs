using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using DistCron.Dashboard;
using DistCron.Storage.Postgres;
using DistCron.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace DistCron.Bench;

/// <summary>
/// <c>dashboard</c> mode: server time of the dashboard's jobs, overview and history pages over a real Kestrel host on a
/// throwaway PostgreSQL holding many jobs and history rows. The same pages are mounted twice on one host, over one
/// database: <c>/paged</c> reads one page and the counts from the store; <c>/inmemory</c> reads every job row and
/// pages in memory, as the first dashboard did, so the ratio comes from one run on one machine.
/// </summary>
internal static class DashboardBench
{
    private const string App = "bench";

    public const string Usage = """
        usage: dotnet run -c Release --project bench/DistCron.Bench -- dashboard [options]   (docs/benchmarks.md)
          --jobs 10000             job rows
          --runs 1000000           history rows, spread evenly over the jobs
          --requests 200           timed requests per page and mounting, after --warmup untimed ones
          --warmup 30
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        int jobs = 10_000, runs = 1_000_000, requests = 200, warmup = 30;
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v > 0 ? v : -1;
            switch (args[i])
            {
                case "--jobs" when value > 0: jobs = value; i++; break;
                case "--runs" when value > 0: runs = value; i++; break;
                case "--requests" when value > 0: requests = value; i++; break;
                case "--warmup" when value > 0: warmup = value; i++; break;
                default:
                    await Console.Error.WriteLineAsync($"bad option '{args[i]}' (each takes a positive whole number)\n{Usage}");
                    return 2;
            }
        }

        await using var server = await PostgresServer.StartAsync();
        var cs = await server.CreateDatabaseAsync("dashboard");
        var seeding = Stopwatch.StartNew();
        await SeedAsync(cs, jobs, runs);
        Console.WriteLine($"seeded {jobs:N0} jobs and {runs:N0} history rows in {seeding.Elapsed.TotalSeconds:F1} s");

        var times = new ConcurrentDictionary<string, ConcurrentBag<double>>();
        var client = DistCronClient.ForPostgres(cs, app: App);
        await using var paged = await StartHostAsync(client, times);
        await using var inMemory = await StartHostAsync(new InMemoryPagingClient(client), times);
        var hosts = new Dictionary<string, HttpClient> { ["paged"] = paged.Http, ["in-memory"] = inMemory.Http };

        var job = $"job-{jobs / 2:D5}";
        string[] pages =
        [
            "/jobs", "/jobs?sort=next", "/jobs?state=failing&sort=last", "/jobs?q=" + (jobs / 3).ToString("D5", CultureInfo.InvariantCulture)[..3],
            "", "/jobs/" + job,
        ];

        Console.WriteLine();
        Console.WriteLine($"| page ({jobs:N0} jobs, {runs:N0} history rows) | paged p50 / p95 ms | in-memory p50 / p95 ms | in-memory ÷ paged (p95) |");
        Console.WriteLine("|---|---:|---:|---:|");
        foreach (var page in pages)
        {
            var result = new Dictionary<string, (double P50, double P95)>();
            foreach (var (mount, http) in hosts)
            {
                var path = "distcron" + page;
                for (var i = 0; i < warmup; i++) (await http.GetAsync(path)).EnsureSuccessStatusCode();
                times.Clear();
                for (var i = 0; i < requests; i++) (await http.GetAsync(path)).EnsureSuccessStatusCode();
                var sorted = times.Single().Value.Order().ToArray();
                result[mount] = (Percentile(sorted, 0.50), Percentile(sorted, 0.95));
            }

            var (p, m) = (result["paged"], result["in-memory"]);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| `{(page.Length == 0 ? "/" : page)}` | {p.P50:F1} / {p.P95:F1} | {m.P50:F1} / {m.P95:F1} | {m.P95 / p.P95:F1}× |"));
        }

        await client.DisposeAsync();
        return 0;
    }

    private sealed record Host(WebApplication Web, HttpClient Http) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            Http.Dispose();
            await Web.StopAsync();
            await Web.DisposeAsync();
        }
    }

    private static async Task<Host> StartHostAsync(IDistCronClient client, ConcurrentDictionary<string, ConcurrentBag<double>> times)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production", Args = [] });
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(client);
        var web = builder.Build();
        // Server time: from the request entering the pipeline to the response written.
        web.Use(async (HttpContext http, RequestDelegate next) =>
        {
            var started = Stopwatch.GetTimestamp();
            await next(http);
            times.GetOrAdd(http.Request.Path + http.Request.QueryString, _ => []).Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        });
        web.MapDistCronDashboard("/distcron").AllowAnonymous();
        await web.StartAsync();
        var address = web.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new Host(web, new HttpClient { BaseAddress = new Uri(address + "/") });
    }

    private static double Percentile(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    // Jobs in every state the filters look at (one in ten failing, one in fifty paused, due times spread over five
    // minutes), history spread evenly, ids in finishing order like real completions.
    private static async Task SeedAsync(string cs, int jobs, int runs)
    {
        await using var connection = new NpgsqlConnection(cs);
        await connection.OpenAsync();
        async Task Run(string sql)
        {
            await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
            await command.ExecuteNonQueryAsync();
        }

        await Run(PostgresJobStore.GetSchemaSql());
        await Run($"""
            INSERT INTO distcron.jobs (app, name, schedule, time_zone, definition_hash, next_due_at, occurrence_at, paused,
                                       last_status, last_error, last_node, last_started_at, last_finished_at, last_duration_ms)
            SELECT '{App}', 'job-' || lpad(i::text, 5, '0'), '*/5 * * * *', 'UTC', 'h', now() + (i % 300) * interval '1 second',
                   now() + (i % 300) * interval '1 second', i % 50 = 0,
                   CASE WHEN i % 10 = 0 THEN 1 ELSE 0 END, CASE WHEN i % 10 = 0 THEN 'boom' END, 'node-1',
                   now() - (i % 600) * interval '1 second' - interval '1 second', now() - (i % 600) * interval '1 second', 100 + i % 900
            FROM generate_series(1, {jobs}) i
            """);
        await Run($"""
            INSERT INTO distcron.runs (app, job_name, occurrence_at, attempt, node_id, fence, status, started_at, finished_at, duration_ms, error_type, error_message)
            SELECT '{App}', 'job-' || lpad((1 + r % {jobs})::text, 5, '0'), t, 1, 'node-1', r, CASE WHEN r % 10 = 0 THEN 1 ELSE 0 END,
                   t, t + interval '100 milliseconds', 100, CASE WHEN r % 10 = 0 THEN 'Boom' END, CASE WHEN r % 10 = 0 THEN 'boom' END
            FROM generate_series(1, {runs}) r, LATERAL (SELECT now() - interval '30 days' + r * interval '2 seconds' AS t) s
            """);
        await Run("VACUUM ANALYZE distcron.jobs");
        await Run("VACUUM ANALYZE distcron.runs");
    }
}
