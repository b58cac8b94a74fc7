using System.Reflection;
using DistCron.Storage;
using DistCron.Storage.Sqlite;
using DistCron.Tests.Infrastructure;

namespace DistCron.Tests.Dashboard;

/// <summary>
/// A real SQLite file seeded through the store with real jobs, runs and a node: "nightly" (Europe/Paris) with a success
/// and a "disk full" failure, "every5" with a pending trigger, a job whose name is a script tag with a failure whose
/// error is a script tag, and a paused job. Their declarations: "nightly" a method with every option, "every5" added with
/// AddJob, the script-named job declared by a type whose name holds a script tag, "paused-job" unknown (as an older
/// DistCron seeds); the node reports its versions, its library version holding a script tag.
/// </summary>
public abstract class DashboardTestBase : IAsyncLifetime
{
    protected const string App = "dash-app";
    protected const string Evil = "<script>alert(1)</script>";
    protected const string EvilEncoded = "&lt;script&gt;alert(1)&lt;/script&gt;";
    protected static readonly CancellationToken Ct = CancellationToken.None;

    protected string DatabasePath { get; } = SqliteFiles.NewDatabasePath();

    private protected SqliteJobStore Store { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Store = new SqliteJobStore(DatabasePath);
        await Store.MigrateAsync(Ct);
        var now = await Store.GetDatabaseTimeAsync(Ct);
        var due = DateTimeOffset.FromUnixTimeMilliseconds(now.AddHours(1).ToUnixTimeMilliseconds());
        await Store.SeedAsync(App,
        [
            new SeedJob("nightly", "0 3 * * *", "Europe/Paris", "h1", due) { Facts = NightlyDeclaration },
            new SeedJob("every5", "*/5 * * * *", "UTC", "h2", due)
            {
                Facts = new JobDefinitionInfo(nameof(DistCronOptions), nameof(DistCronOptions.AddJob), CronFormat.Standard, MisfirePolicy.RunOnce, null, null, 0),
            },
            new SeedJob(Evil, "0 * * * *", "UTC", "h3", due)
            {
                Facts = new JobDefinitionInfo("Shop." + Evil, "Run", CronFormat.Standard, MisfirePolicy.RunOnce, null, null, 0) { OverriddenBy = [$"DistCron:Jobs:{Evil}:Schedule"] },
            },
            new SeedJob("paused-job", "0 4 * * *", "UTC", "h4", due),
        ], Ct);
        await RecordRunAsync("nightly", RunStatus.Succeeded, null, null);
        await RecordRunAsync("nightly", RunStatus.Failed, "System.IO.IOException", "disk full");
        await RecordRunAsync(Evil, RunStatus.Failed, "<b>EvilException</b>", Evil);
        Assert.True(await Store.TriggerAsync(App, "every5", Ct));
        Assert.True(await Store.PauseAsync(App, "paused-job", Ct));
        await Store.RegisterNodeAsync(new NodeInfo(App, "node-a", "host-a", 4242, ["nightly", "every5", Evil])
        {
            LibraryVersion = "1.4.0-" + Evil, DeploymentVersion = 202612070300, Runtime = ".NET 10.0.1",
        }, TimeSpan.FromMinutes(1), Ct);
    }

    /// <summary>"nightly"'s declaration: a method with every option set, one of them from configuration.</summary>
    private protected static readonly JobDefinitionInfo NightlyDeclaration = new("Shop.Jobs.Reports", "NightlyAsync", CronFormat.Standard,
        MisfirePolicy.Skip, TimeSpan.FromMinutes(5), TimeSpan.FromSeconds(30), 3)
    {
        OverriddenBy = ["DistCron:Jobs:nightly:TimeZone"],
    };

    public virtual async Task DisposeAsync()
    {
        await Store.DisposeAsync();
        SqliteFiles.Delete(DatabasePath);
    }

    /// <summary>A manual run of <paramref name="job"/>, claimed and completed by node-a (its schedule is unchanged).</summary>
    private protected async Task RecordRunAsync(string job, RunStatus status, string? errorType, string? error)
    {
        Assert.True(await Store.TriggerAsync(App, job, Ct));
        // Every job is due in an hour: the triggered one is the only claimable job.
        var claim = Assert.Single((await Store.ClaimDueAsync(new ClaimRequest(App, "node-a", 1, TimeSpan.FromMinutes(1)), Ct)).Claimed);
        Assert.Equal(job, claim.Token.JobName);
        var started = await Store.GetDatabaseTimeAsync(Ct);
        Assert.True(await Store.CompleteAsync(new Completion(claim.Token, status, claim.OccurrenceAt, 1, started, TimeSpan.FromMilliseconds(1500),
            errorType, error, null, null, 1, IsManualTrigger: true), Ct));
    }

    /// <summary>The built CLI, run as a child process against the test's database (as the CLI tests run it).</summary>
    protected async Task<ProcessRunner.Result> RunCliAsync(params string[] args)
    {
        var tool = typeof(DashboardTestBase).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "Cli").Value!;
        Assert.True(File.Exists(tool), $"The CLI was not built at {tool}.");
        return await ProcessRunner.RunAsync("dotnet", [tool, .. args, "--sqlite", DatabasePath, "--app", App], TimeSpan.FromSeconds(120),
            new Dictionary<string, string> { ["DISTCRON_CONNECTION"] = "" });
    }
}
