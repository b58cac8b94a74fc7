using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Quartz;

namespace DistCron.Bench;

/// <summary>
/// A node process: "node &lt;distcron|quartz&gt; key=value…". Keys: cs (connection string, passed through the
/// environment variable BENCH_CS so it never shows in a process listing), jobs, schedule (six-field cron), concurrency,
/// out (sample file), seed (quartz: 1 = this node schedules the jobs), lease (seconds, distcron), takeover (1 = add
/// the long-running "takeover" job). Prints "READY" when started; SIGTERM stops it gracefully and writes the samples.
/// </summary>
internal static class NodeMain
{
    public static async Task<int> RunAsync(string[] args)
    {
        var kind = args[0];
        var o = args[1..].Select(a => a.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        var cs = Environment.GetEnvironmentVariable("BENCH_CS") ?? throw new InvalidOperationException("BENCH_CS is not set");
        var jobs = int.Parse(o["jobs"]);
        var schedule = o["schedule"];
        var concurrency = int.Parse(o["concurrency"]);
        var recorder = new Recorder(4_000_000);

        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddConsole(c => c.LogToStandardErrorThreshold = LogLevel.Trace).SetMinimumLevel(LogLevel.Warning);
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = TimeSpan.FromSeconds(15));
        var takeover = o.GetValueOrDefault("takeover") == "1";

        if (kind == "distcron") ConfigureDistCron(builder.Services, cs, jobs, schedule, concurrency, o, recorder, takeover);
        else if (kind == "quartz") ConfigureQuartz(builder.Services, cs, jobs, schedule, concurrency, o.GetValueOrDefault("seed") == "1", recorder, takeover, o.GetValueOrDefault("checkin"));
        else throw new ArgumentException($"unknown node kind '{kind}'");

        using var host = builder.Build();
        await host.StartAsync();
        Console.Out.WriteLine("READY");
        Console.Out.Flush();
        using var stopping = new CancellationTokenSource();
        var jit = ReportJitAsync(stopping.Token);
        await host.WaitForShutdownAsync();
        await stopping.CancelAsync();
        await jit;
        recorder.WriteTo(o["out"]);
        return 0;
    }

    // The harness's warm-up lasts until the JIT has settled in every node (see Harness.JitSettledAsync): the total time
    // this process has spent compiling, twice a second.
    private static async Task ReportJitAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(500));
        try
        {
            while (await timer.WaitForNextTickAsync(stopping))
            {
                Console.Out.WriteLine($"JIT {System.Runtime.JitInfo.GetCompilationTime().TotalMilliseconds:0}");
                Console.Out.Flush();
            }
        }
        catch (OperationCanceledException) { }
    }

    private static void ConfigureDistCron(IServiceCollection services, string cs, int jobs, string schedule, int concurrency,
        Dictionary<string, string> o, Recorder recorder, bool takeover)
    {
        JobInvoker noop = (_, context, _) =>
        {
            recorder.Record(context.ScheduledFor);
            return ValueTask.CompletedTask;
        };
        JobInvoker hang = async (_, context, ct) =>
        {
            Recorder.Event($"ENTER {context.JobName}");
            await Task.Delay(Timeout.Infinite, ct);
        };
        var definitions = Enumerable.Range(0, jobs)
            .Select(i => Definition($"j{i:D5}", schedule, noop))
            .Concat(takeover ? [Definition("takeover", "* * * * * *", hang)] : [])
            .ToArray();
        var lease = TimeSpan.FromSeconds(double.Parse(o.GetValueOrDefault("lease") ?? "30"));
        services.AddDistCron(d =>
        {
            d.UsePostgres(cs);
            d.App = "bench";
            d.MaxConcurrentJobs = concurrency;
            d.LeaseDuration = lease;
            d.HeartbeatInterval = lease / 3;
            d.ShutdownTimeout = TimeSpan.FromSeconds(5);
            d.AddJobs(definitions);
        });
    }

    private static JobDefinition Definition(string name, string schedule, JobInvoker invoker) =>
        new(name, schedule, CronFormat.IncludeSeconds, "UTC", MisfirePolicy.RunOnce, null, null, 0,
            "bench-" + schedule, "DistCron.Bench.NodeMain", name, invoker);

    private static void ConfigureQuartz(IServiceCollection services, string cs, int jobs, string schedule, int concurrency,
        bool seed, Recorder recorder, bool takeover, string? checkin)
    {
        services.AddSingleton(recorder);
        // Quartz's cron has seconds first and '?' in day-of-week or day-of-month.
        var quartzCron = ToQuartzCron(schedule);
        services.AddQuartz(q =>
        {
            q.UseDefaultThreadPool(concurrency);
            // Documented throughput settings for a clustered store: acquire a batch as large as the pool, in the lock.
            q.ConfigureScheduler(s => s.MaxBatchSize = concurrency);
            q.UsePersistentStore(s =>
            {
                s.UsePostgres(cs);
                s.UseClustering(c =>
                {
                    // Defaults (7.5 s) except in the takeover phase, where failure detection is set to match DistCron's lease.
                    if (checkin is null) return;
                    c.CheckinInterval = TimeSpan.FromSeconds(double.Parse(checkin));
                    c.CheckinMisfireThreshold = TimeSpan.FromSeconds(double.Parse(checkin));
                });
                s.ProvisionSchema(); // the DDL shipped inside the Quartz package (create_postgres.sql)
                s.ConfigureStore(st => st.AcquireTriggersWithinLock = true);
            });
            if (!seed) return;
            for (var i = 0; i < jobs; i++)
            {
                var name = $"j{i:D5}";
                q.AddJob<QuartzNoopJob>(j => j.WithIdentity(name).StoreDurably());
                q.AddTrigger(t => t.ForJob(name).WithIdentity(name).WithCronSchedule(quartzCron));
            }

            if (takeover)
            {
                q.AddJob<QuartzHangJob>(j => j.WithIdentity("takeover").StoreDurably().RequestRecovery());
                q.AddTrigger(t => t.ForJob("takeover").WithIdentity("takeover").WithCronSchedule("* * * * * ?"));
            }
        });
        services.AddQuartzHostedService(h => h.WaitForJobsToComplete = false);
    }

    private static string ToQuartzCron(string sixField)
    {
        var f = sixField.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // seconds minutes hours day-of-month month day-of-week: one of the day fields must be '?'.
        if (f[5] == "*") f[5] = "?";
        else if (f[3] == "*") f[3] = "?";
        return string.Join(' ', f);
    }
}

[DisallowConcurrentExecution]
internal sealed class QuartzNoopJob(Recorder recorder) : IJob
{
    public ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        recorder.Record(context.ScheduledFireTimeUtc ?? context.FireTimeUtc);
        return ValueTask.CompletedTask;
    }
}

[DisallowConcurrentExecution]
internal sealed class QuartzHangJob : IJob
{
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        Recorder.Event("ENTER takeover");
        await Task.Delay(Timeout.Infinite, cancellationToken);
    }
}
