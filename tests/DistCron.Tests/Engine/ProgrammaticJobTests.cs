using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace DistCron.Tests.Engine;

/// <summary>
/// Jobs registered at start with <see cref="DistCronOptions.AddJob"/> (one per tenant, say): they run beside the
/// declared ones with the run's DI scope, are validated like an attribute, and take configuration overrides. Across
/// processes they are proven by every multi-process and chaos test: the test node registers its jobs this way.
/// </summary>
public abstract class ProgrammaticJobTests : EngineTestBase
{
    private sealed class Tenants
    {
        public List<string> Seen { get; } = [];
    }

    [Fact]
    public async Task Jobs_added_at_start_run_beside_the_declared_ones_with_their_scope()
    {
        var declared = 0;
        var tenants = new Tenants();
        await StartNodeAsync([Job("declared", "* * * * * *", (_, _) => { Interlocked.Increment(ref declared); return Task.CompletedTask; })],
            o =>
            {
                foreach (var tenant in new[] { "42", "43" })
                {
                    o.AddJob($"tenant-{tenant}.report", "* * * * * *", static (context, services, _) =>
                    {
                        var seen = services.GetRequiredService<Tenants>();
                        lock (seen) seen.Seen.Add(context.JobName);
                        return Task.CompletedTask;
                    }, timeZone: "Europe/Paris", maxRetries: 2);
                }
            },
            services: s => s.AddSingleton(tenants));

        await WaitUntilAsync(() => { lock (tenants) return tenants.Seen.Distinct().Count() == 2; }, "both tenants' jobs ran");
        await WaitUntilAsync(() => Volatile.Read(ref declared) > 0, "the declared job ran");
        var row = await RowAsync("tenant-42.report");
        Assert.Equal(("* * * * * *", "Europe/Paris"), (row.Schedule, row.TimeZone));
        Assert.Equal(Internal.StableHash.DefinitionWithDurations("tenant-42.report", "* * * * * *", "Europe/Paris", 0, null, null, 2), row.DefinitionHash);
    }

    [Fact]
    public async Task A_bad_added_job_stops_the_start_in_the_analyzers_words_and_configuration_overrides_it()
    {
        // Values known only at start (read from a tenant table, say): the analyzer checks constant arguments at build
        // time (AddJobDiagnosticTests); these reach start-up validation.
        static string AtStart(string value) => value;
        var host = BuildNode([Job("declared", "0 0 1 1 *", (_, _) => Task.CompletedTask)], o =>
        {
            o.AddJob("tenant-42.report", AtStart("0 25 * * *"), static (_, _, _) => Task.CompletedTask);
            o.AddJob(AtStart("declared"), "@daily", static (_, _, _) => Task.CompletedTask);
            o.AddJob(AtStart("tenant 43"), "@daily", static (_, _, _) => Task.CompletedTask, timeout: TimeSpan.FromDays(30));
        });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains(error.Failures, f => f.StartsWith(
            "DistCron job 'tenant-42.report' (DistCronOptions.AddJob): schedule \"0 25 * * *\" is not a valid cron expression", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.StartsWith("DistCron job name 'declared' is declared 2 times (DistCron.Tests.Engine.Jobs.declared, DistCronOptions.AddJob)", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.StartsWith("DistCron job 'tenant 43' (DistCronOptions.AddJob): job name \"tenant 43\" is invalid", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.StartsWith("DistCron job 'tenant 43' (DistCronOptions.AddJob): Timeout (30.00:00:00) must be", StringComparison.Ordinal));

        var options = new DistCronOptions().AddJobs([]).AddJob("tenant-42.report", "0 6 * * *", static (_, _, _) => Task.CompletedTask);
        options.Jobs["tenant-42.report"] = new JobOverride { Schedule = "0 7 * * *" };
        Assert.Equal("0 7 * * *", Assert.Single(options.ResolveJobs()).Schedule);
    }
}

public sealed class SqliteProgrammaticJobTests : ProgrammaticJobTests
{
    protected override EngineStoreFactory CreateStoreFactory() => new SqliteEngineStoreFactory();
}

public sealed class PostgresProgrammaticJobTests : ProgrammaticJobTests
{
    protected override EngineStoreFactory CreateStoreFactory() => new PostgresEngineStoreFactory();
}
