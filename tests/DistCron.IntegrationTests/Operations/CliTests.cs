using System.Reflection;
using System.Text.Json;
using DistCron.Storage;
using DistCron.Storage.Postgres;
using DistCron.Storage.Sqlite;
using DistCron.Tests.Infrastructure;
using Npgsql;

namespace DistCron.Tests.Operations;

/// <summary>
/// The real built <c>distcron</c> tool, run as a child process (<c>dotnet DistCron.Cli.dll …</c>) against a real store
/// prepared through the store API; every assertion checks the exit code, the output and the database afterwards.
/// </summary>
public abstract partial class CliTests : IAsyncLifetime
{
    protected const string App = "cli-app";
    protected static readonly CancellationToken Ct = CancellationToken.None;
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(120);

    private protected IJobStore Store { get; private set; } = null!;

    /// <summary>When the two recorded runs of "nightly" started (whole milliseconds: every store keeps them exactly).</summary>
    protected DateTimeOffset Started { get; private set; }

    /// <summary>Options that point the tool at the test's database.</summary>
    protected abstract string[] ConnectionArgs { get; }

    private protected abstract Task<IJobStore> CreateStoreAsync();

    public async Task InitializeAsync()
    {
        Store = await CreateStoreAsync();
        var now = await Store.GetDatabaseTimeAsync(Ct);
        var due = DateTimeOffset.FromUnixTimeMilliseconds(now.AddHours(1).ToUnixTimeMilliseconds());
        Started = DateTimeOffset.FromUnixTimeMilliseconds(now.AddSeconds(-2).ToUnixTimeMilliseconds());
        await Store.SeedAsync(App, [new SeedJob("nightly", "0 3 * * *", "Europe/Paris", "h1", due), new SeedJob("every5", "*/5 * * * *", "UTC", "h2", due)], Ct);
        // Two recorded runs of "nightly": a success then a failure (manual runs, so the schedule is unchanged).
        foreach (var status in new[] { RunStatus.Succeeded, RunStatus.Failed })
        {
            Assert.True(await Store.TriggerAsync(App, "nightly", Ct));
            // Both jobs are due in an hour: the triggered one is the only claimable job.
            var claim = Assert.Single((await Store.ClaimDueAsync(new ClaimRequest(App, "node-a", 1, TimeSpan.FromMinutes(1)), Ct)).Claimed);
            Assert.Equal("nightly", claim.Token.JobName);
            Assert.True(await Store.CompleteAsync(new Completion(claim.Token, status, claim.OccurrenceAt, 1, Started, TimeSpan.FromMilliseconds(1500),
                status == RunStatus.Failed ? "System.InvalidOperationException" : null, status == RunStatus.Failed ? "disk full" : null,
                null, null, 1, IsManualTrigger: true), Ct));
        }

        await Store.RegisterNodeAsync(new NodeInfo(App, "node-a", "host-a", 4242, ["nightly", "every5"]), TimeSpan.FromMinutes(1), Ct);
    }

    public virtual async Task DisposeAsync() => await Store.DisposeAsync();

    private protected static async Task<ProcessRunner.Result> RunToolAsync(IEnumerable<string> args, IDictionary<string, string>? environment = null)
    {
        var tool = typeof(CliTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "Cli").Value!;
        Assert.True(File.Exists(tool), $"The CLI was not built at {tool}.");
        var env = new Dictionary<string, string> { ["DISTCRON_CONNECTION"] = "" };
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) env[key] = value;
        return await ProcessRunner.RunAsync("dotnet", [tool, .. args], ToolTimeout, env);
    }

    private protected Task<ProcessRunner.Result> RunAsync(params string[] args) => RunToolAsync([.. args, .. ConnectionArgs, "--app", App]);

    [Fact]
    public async Task Jobs_lists_every_job_as_a_table_and_as_json()
    {
        var table = await RunAsync("jobs");
        Assert.True(table.Succeeded, table.Output);
        Assert.Contains("JOB", table.Output);
        Assert.Contains("nightly", table.Output);
        Assert.Contains("Europe/Paris", table.Output);
        Assert.Contains("Failed", table.Output);
        Assert.Contains("disk full", table.Output);

        var json = await RunAsync("jobs", "--json");
        Assert.True(json.Succeeded, json.Output);
        using var document = JsonDocument.Parse(json.Output);
        var jobs = document.RootElement.GetProperty("jobs").EnumerateArray().ToArray();
        Assert.Equal(["every5", "nightly"], jobs.Select(j => j.GetProperty("name").GetString()));
        Assert.Equal("failed", jobs[1].GetProperty("lastRun").GetProperty("status").GetString());
        Assert.False(jobs[1].GetProperty("paused").GetBoolean());
    }

    [Fact]
    public async Task History_pages_and_filters_by_status()
    {
        var failed = await RunAsync("history", "nightly", "--status", "failed", "--json");
        Assert.True(failed.Succeeded, failed.Output);
        using (var document = JsonDocument.Parse(failed.Output))
        {
            var run = Assert.Single(document.RootElement.GetProperty("runs").EnumerateArray().ToArray());
            Assert.Equal("failed", run.GetProperty("status").GetString());
            Assert.Equal("disk full", run.GetProperty("errorMessage").GetString());
            Assert.True(run.GetProperty("manual").GetBoolean());
        }

        var page = await RunAsync("history", "nightly", "--limit", "1");
        Assert.True(page.Succeeded, page.Output);
        Assert.Contains("Failed", page.Output);
        Assert.DoesNotContain("Succeeded", page.Output);
        Assert.Contains("--before", page.Output);
    }

    [Fact]
    public async Task Trigger_pause_and_resume_change_the_job_in_the_database()
    {
        var trigger = await RunAsync("trigger", "every5");
        Assert.True(trigger.Succeeded, trigger.Output);
        var claim = Assert.Single((await Store.ClaimDueAsync(new ClaimRequest(App, "node-b", 1, TimeSpan.FromMinutes(1)), Ct)).Claimed);
        Assert.Equal("every5", claim.Token.JobName);
        Assert.True(claim.IsManualTrigger);
        Assert.True(await Store.ReleaseAsync(claim.Token, Ct));

        var pause = await RunAsync("pause", "every5");
        Assert.True(pause.Succeeded, pause.Output);
        Assert.True((await Store.ListJobsAsync(App, Ct)).Single(j => j.Name == "every5").Paused);

        var before = await Store.GetDatabaseTimeAsync(Ct);
        var resume = await RunAsync("resume", "every5", "--json");
        Assert.True(resume.Succeeded, resume.Output);
        var row = (await Store.ListJobsAsync(App, Ct)).Single(j => j.Name == "every5");
        Assert.False(row.Paused);
        Assert.True(row.NextDueAt > before && row.NextDueAt <= before.AddMinutes(5), $"next due {row.NextDueAt:O} after {before:O}");
        using var document = JsonDocument.Parse(resume.Output);
        Assert.False(document.RootElement.GetProperty("job").GetProperty("paused").GetBoolean());
    }

    [Fact]
    public async Task Nodes_lists_registered_nodes()
    {
        var nodes = await RunAsync("nodes");
        Assert.True(nodes.Succeeded, nodes.Output);
        Assert.Contains("node-a", nodes.Output);
        Assert.Contains("host-a", nodes.Output);
        Assert.Contains("4242", nodes.Output);
    }

    [Fact]
    public async Task An_unknown_job_exits_with_3_and_changes_nothing()
    {
        var result = await RunAsync("pause", "Nightly");
        Assert.Equal(3, result.ExitCode);
        Assert.Contains("no job named 'Nightly'", result.Output);
        Assert.All(await Store.ListJobsAsync(App, Ct), j => Assert.False(j.Paused));
        Assert.Equal(3, (await RunAsync("history", "missing")).ExitCode);
    }

    [Fact]
    public async Task Bad_usage_exits_with_2_and_says_what_is_wrong()
    {
        var noJob = await RunAsync("trigger");
        Assert.Equal(2, noJob.ExitCode);
        Assert.Contains("needs a job name", noJob.Output);

        var badStatus = await RunAsync("history", "nightly", "--status", "exploded");
        Assert.Equal(2, badStatus.ExitCode);
        Assert.Contains("--status", badStatus.Output);

        var unknown = await RunToolAsync(["frobnicate"]);
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("Unknown command 'frobnicate'", unknown.Output);
        Assert.Contains("Commands: jobs, history", unknown.Output);

        var noConnection = await RunToolAsync(["jobs"]);
        Assert.Equal(2, noConnection.ExitCode);
        Assert.Contains("DISTCRON_CONNECTION", noConnection.Output);

        var help = await RunToolAsync(["--help"]);
        Assert.True(help.Succeeded, help.Output);
        Assert.Contains("Exit codes", help.Output);
    }

    [Fact]
    public async Task Sql_prints_the_schema_without_a_connection()
    {
        var postgres = await RunToolAsync(["sql", "--schema", "ops_x"]);
        Assert.True(postgres.Succeeded, postgres.Output);
        Assert.Contains("CREATE TABLE IF NOT EXISTS ops_x.jobs", postgres.Output);

        var sqlite = await RunToolAsync(["sql", "--store", "sqlite"]);
        Assert.True(sqlite.Succeeded, sqlite.Output);
        Assert.Contains("CREATE TABLE IF NOT EXISTS jobs", sqlite.Output);

        Assert.Equal(2, (await RunToolAsync(["sql", "--schema", "Bad-Name"])).ExitCode);
    }
}

public sealed class SqliteCliTests : CliTests
{
    private readonly string _path = SqliteFiles.NewDatabasePath();

    protected override string[] ConnectionArgs => ["--sqlite", _path];

    private protected override async Task<IJobStore> CreateStoreAsync()
    {
        var store = new SqliteJobStore(_path);
        await store.MigrateAsync(Ct);
        return store;
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        SqliteFiles.Delete(_path);
    }

    [Fact]
    public async Task A_missing_file_exits_with_4_and_is_not_created()
    {
        var missing = Path.Combine(Path.GetTempPath(), "distcron-tests", $"missing-{Guid.NewGuid():N}.db");
        var result = await RunToolAsync(["jobs", "--sqlite", missing]);
        Assert.Equal(4, result.ExitCode);
        Assert.Contains("does not exist", result.Output);
        Assert.False(File.Exists(missing));
    }
}

public sealed class PostgresCliTests : CliTests
{
    private const string Schema = "ops_cli";
    private string _connectionString = null!;
    private NpgsqlDataSource? _dataSource;

    protected override string[] ConnectionArgs => ["--connection", _connectionString, "--schema", Schema];

    private protected override async Task<IJobStore> CreateStoreAsync()
    {
        var server = await PostgresServer.SharedAsync();
        _connectionString = await server.CreateDatabaseAsync("cli");
        _dataSource = NpgsqlDataSource.Create(_connectionString);
        var store = new PostgresJobStore(_dataSource, Schema);
        await store.MigrateAsync(Ct);
        return store;
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_dataSource is not null) await _dataSource.DisposeAsync();
    }

    [Fact]
    public async Task The_connection_can_come_from_the_environment()
    {
        var result = await RunToolAsync(["jobs", "--schema", Schema, "--app", App], new Dictionary<string, string> { ["DISTCRON_CONNECTION"] = _connectionString });
        Assert.True(result.Succeeded, result.Output);
        Assert.Contains("nightly", result.Output);
    }

    [Fact]
    public async Task A_wrong_schema_or_an_unreachable_server_exits_with_4_without_printing_the_password()
    {
        var password = new NpgsqlConnectionStringBuilder(_connectionString).Password;
        Assert.False(string.IsNullOrEmpty(password));

        var wrongSchema = await RunToolAsync(["jobs", "--connection", _connectionString, "--schema", "nothing_here", "--app", App]);
        Assert.Equal(4, wrongSchema.ExitCode);
        Assert.Contains("no DistCron tables", wrongSchema.Output);
        Assert.DoesNotContain(password!, wrongSchema.Output);

        var builder = new NpgsqlConnectionStringBuilder(_connectionString) { Port = PostgresServer.FreePort(), Timeout = 3 };
        var unreachable = await RunToolAsync(["nodes", "--connection", builder.ConnectionString, "--app", App]);
        Assert.Equal(4, unreachable.ExitCode);
        Assert.Contains("Cannot connect to PostgreSQL", unreachable.Output);
        Assert.DoesNotContain(password!, unreachable.Output);

        var garbled = await RunToolAsync(["jobs", "--connection", $"Host=localhost;Pasword={password}", "--app", App]);
        Assert.Equal(2, garbled.ExitCode);
        Assert.DoesNotContain(password!, garbled.Output);
    }
}
