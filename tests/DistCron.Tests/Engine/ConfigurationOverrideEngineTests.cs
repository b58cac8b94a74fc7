using DistCron.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace DistCron.Tests.Engine;

/// <summary>
/// Overrides from configuration on real hosts and a real store: a schedule from <c>DistCron:Jobs</c> replaces the
/// attribute's, a disabled job is never run, and nodes of one deployment version with different overrides are reported
/// instead of flipping the row.
/// </summary>
public abstract class ConfigurationOverrideEngineTests : EngineTestBase
{
    private const string Yearly = "0 0 1 1 *";

    [Fact]
    public async Task A_schedule_from_configuration_replaces_the_attributes_and_runs()
    {
        var runs = 0;
        var job = Job("report", Yearly, (_, _) => { Interlocked.Increment(ref runs); return Task.CompletedTask; });
        await StartNodeAsync([job], settings: new Dictionary<string, string?>
        {
            ["DistCron:Jobs:report:Schedule"] = "* * * * * *",
            ["DistCron:Jobs:report:MaxRetries"] = "2",
        });

        await WaitUntilAsync(() => Volatile.Read(ref runs) >= 2, "two runs of the every-second schedule from configuration");
        var row = await RowAsync("report");
        Assert.Equal("* * * * * *", row.Schedule);
        Assert.NotEqual(job.DefinitionHash, row.DefinitionHash);
        Assert.Equal(job.DefinitionHash, row.CodeHash);
        Assert.True(Logs.Has(90), Logs.Dump()); // "runs with configuration overrides"
    }

    [Fact]
    public async Task Code_wins_over_configuration_and_another_section_can_be_given()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Scheduling:App"] = "from-config", ["Scheduling:Jobs:report:Schedule"] = "*/5 * * * *",
        }).Build();
        var services = new ServiceCollection();
        services.AddDistCron(configuration.GetSection("Scheduling"), o => o.AddJobs([Job("report", Yearly, (_, _) => Task.CompletedTask)]));
        await using var provider = services.BuildServiceProvider();
        var options = provider.GetRequiredService<IOptions<DistCronOptions>>().Value;
        Assert.Equal("from-config", options.App);
        Assert.Equal("*/5 * * * *", Assert.Single(options.ResolveJobs()).Schedule);

        services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["DistCron:App"] = "from-config" }).Build());
        services.AddDistCron(o => o.App = "from-code");
        await using var second = services.BuildServiceProvider();
        Assert.Equal("from-code", second.GetRequiredService<IOptions<DistCronOptions>>().Value.App);
    }

    [Fact]
    public async Task A_bad_override_stops_the_start_with_the_key_named()
    {
        var host = BuildNode([Job("sitemap.regenerate", Yearly, (_, _) => Task.CompletedTask)], settings: new Dictionary<string, string?>
        {
            ["DistCron:Jobs:sitemap.regenerate:Schedule"] = "61 * * * *",
            ["DistCron:Jobs:sitemap.regenrate:Enabled"] = "false",
        });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains(error.Failures, f => f.StartsWith("DistCron:Jobs:sitemap.regenerate:Schedule: schedule \"61 * * * *\" is not a valid cron expression", StringComparison.Ordinal));
        Assert.Contains("DistCron:Jobs:sitemap.regenrate: no job named \"sitemap.regenrate\" is declared; did you mean \"sitemap.regenerate\"?", error.Failures);
        Assert.Empty(await (await InspectAsync()).ListJobsAsync(App, CancellationToken.None)); // nothing was seeded
    }

    [Fact]
    public async Task A_job_disabled_by_configuration_is_registered_but_never_run_not_even_when_triggered()
    {
        var runs = 0;
        var disabled = Job("disabled", "* * * * * *", (_, _) => { Interlocked.Increment(ref runs); return Task.CompletedTask; });
        var other = 0;
        var enabled = Job("enabled", "* * * * * *", (_, _) => { Interlocked.Increment(ref other); return Task.CompletedTask; });
        var host = await StartNodeAsync([disabled, enabled], settings: new Dictionary<string, string?> { ["DistCron:Jobs:disabled:Enabled"] = "false" });

        var client = host.Services.GetRequiredService<IDistCronClient>();
        await WaitUntilAsync(() => Volatile.Read(ref other) >= 1, "the node started and runs the enabled job");
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => client.TriggerAsync("disabled"));
        Assert.Contains("disabled by its deployment's configuration (DistCron:Jobs:disabled:Enabled = false)", error.Message);
        await WaitUntilAsync(() => Volatile.Read(ref other) >= 3, "three runs of the enabled job");
        Assert.Equal(0, Volatile.Read(ref runs));
        var row = await client.GetJobAsync("disabled");
        Assert.True(row.Disabled);
        Assert.Null(row.NextDueAt);
        Assert.Contains("disabled", (await client.ListNodesAsync()).Single().JobNames);
        Assert.True(Logs.Has(91), Logs.Dump());
    }

    [Fact]
    public async Task Nodes_of_one_version_with_different_overrides_are_reported_and_the_row_keeps_the_first()
    {
        var job = Job("report", Yearly, (_, _) => Task.CompletedTask);
        await StartNodeAsync([job], o => o.DeploymentVersion = 42,
            settings: new Dictionary<string, string?> { ["DistCron:Jobs:report:Schedule"] = "0 6 * * *" });
        await WaitUntilAsync(async () => (await (await InspectAsync()).ListJobsAsync(App, CancellationToken.None)).Count == 1, "the first node seeded");
        var second = await StartNodeAsync([job], o => o.DeploymentVersion = 42,
            services: s => s.AddHealthChecks().AddDistCronJobs(minInterval: TimeSpan.Zero),
            settings: new Dictionary<string, string?> { ["DistCron:Jobs:report:Schedule"] = "0 7 * * *" });

        await WaitUntilAsync(() => Logs.Has(92), "the second node reports the conflict");
        var warning = Logs.Entries.First(e => e.EventId.Id == 92).Message;
        Assert.Contains("job 'report': this node's definition (schedule \"0 7 * * *\" in UTC, overridden by DistCron:Jobs:report:Schedule)", warning);
        Assert.Contains("(schedule \"0 6 * * *\" in UTC)", warning);
        Assert.Equal("0 6 * * *", (await RowAsync("report")).Schedule); // not flipped by the second node's start

        var report = await second.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        var entry = report.Entries["distcron-jobs"];
        Assert.Equal(HealthStatus.Degraded, entry.Status);
        Assert.Contains("1 job(s) defined differently by nodes of the same deployment version", entry.Description);
    }
}

public sealed class SqliteConfigurationOverrideEngineTests : ConfigurationOverrideEngineTests
{
    protected override EngineStoreFactory CreateStoreFactory() => new SqliteEngineStoreFactory();
}

public sealed class PostgresConfigurationOverrideEngineTests : ConfigurationOverrideEngineTests
{
    protected override EngineStoreFactory CreateStoreFactory() => new PostgresEngineStoreFactory();
}
