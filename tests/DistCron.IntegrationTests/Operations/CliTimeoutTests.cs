using System.Net;
using System.Net.Sockets;
using System.Reflection;
using DistCron.Storage;
using DistCron.Storage.Postgres;
using DistCron.Tests.Infrastructure;
using Npgsql;

namespace DistCron.Tests.Operations;

/// <summary>
/// <c>--timeout</c> against a real PostgreSQL, the tool run as a child process: a statement that waits on a lock held by
/// another connection is "timed out" (exit 6), and a server that refuses or never answers the connection is "cannot
/// connect" (exit 4), each with its own message.
/// </summary>
public sealed class CliTimeoutTests : IAsyncLifetime
{
    private const string App = "cli-timeout";
    private const string Schema = "ops_timeout";
    private const int StoreUnreachable = 4, TimedOut = 6; // the tool's exit codes
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(120);
    private string _connectionString = null!;

    public async Task InitializeAsync()
    {
        var server = await PostgresServer.SharedAsync();
        _connectionString = await server.CreateDatabaseAsync("clitimeout");
        await using var dataSource = NpgsqlDataSource.Create(_connectionString);
        await using var store = new PostgresJobStore(dataSource, Schema);
        await store.MigrateAsync(CancellationToken.None);
        var now = await store.GetDatabaseTimeAsync(CancellationToken.None);
        await store.SeedAsync(App, [new SeedJob("nightly", "0 3 * * *", "UTC", "h1", now.AddHours(1))], CancellationToken.None);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private static async Task<ProcessRunner.Result> RunToolAsync(params string[] args)
    {
        var tool = typeof(CliTimeoutTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "Cli").Value!;
        Assert.True(File.Exists(tool), $"The CLI was not built at {tool}.");
        return await ProcessRunner.RunAsync("dotnet", [tool, .. args], ToolTimeout, new Dictionary<string, string> { ["DISTCRON_CONNECTION"] = "" });
    }

    [Fact]
    public async Task A_statement_waiting_on_a_lock_past_the_timeout_exits_6_as_timed_out()
    {
        await using var holder = new NpgsqlConnection(_connectionString);
        await holder.OpenAsync();
        await using var transaction = await holder.BeginTransactionAsync();
        await using (var lockJobs = new NpgsqlCommand($"LOCK TABLE {Schema}.jobs IN ACCESS EXCLUSIVE MODE", holder, transaction))
        {
            await lockJobs.ExecuteNonQueryAsync();
        }

        // Generous enough for a connect on a loaded machine: only the statement waits on the lock.
        var result = await RunToolAsync("jobs", "--connection", _connectionString, "--schema", Schema, "--app", App, "--timeout", "5");

        Assert.True(result.ExitCode == TimedOut, $"exit {result.ExitCode}\n{result.Output}");
        Assert.Contains("Connected, but a statement did not finish within --timeout", result.Output);
        Assert.DoesNotContain("Cannot connect", result.Output);
        Assert.DoesNotContain(new NpgsqlConnectionStringBuilder(_connectionString).Password!, result.Output);
        // Not waiting for the lock's end: the holder is still open here.
        Assert.Equal(System.Data.ConnectionState.Open, holder.State);

        var json = await RunToolAsync("pause", "nightly", "--connection", _connectionString, "--schema", Schema, "--app", App, "--timeout", "5", "--json");
        Assert.True(json.ExitCode == TimedOut, $"exit {json.ExitCode}\n{json.Output}");
        using var document = System.Text.Json.JsonDocument.Parse(json.Output);
        Assert.Equal("timed_out", document.RootElement.GetProperty("error").GetProperty("code").GetString());

        await transaction.RollbackAsync();
        var after = await RunToolAsync("jobs", "--connection", _connectionString, "--schema", Schema, "--app", App, "--timeout", "2");
        Assert.True(after.Succeeded, after.Output);
        Assert.Contains("nightly", after.Output);
        // The timed-out pause was cancelled on the server, not applied once the lock went away.
        Assert.DoesNotContain("paused", after.Output);
    }

    [Fact]
    public async Task A_closed_port_exits_4_as_cannot_connect()
    {
        var closed = new NpgsqlConnectionStringBuilder(_connectionString) { Port = PostgresServer.FreePort() }.ConnectionString;

        var result = await RunToolAsync("jobs", "--connection", closed, "--schema", Schema, "--app", App, "--timeout", "2");

        Assert.True(result.ExitCode == StoreUnreachable, $"exit {result.ExitCode}\n{result.Output}");
        Assert.Contains("Cannot connect to PostgreSQL", result.Output);
        Assert.DoesNotContain("statement did not finish", result.Output);
    }

    [Fact]
    public async Task A_server_that_never_answers_the_connection_exits_4_after_the_timeout_not_6()
    {
        // A socket that accepts (the kernel completes the handshake) and never speaks PostgreSQL: the connect itself
        // is what runs out of time, so it is "cannot connect", not a statement timeout.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        var mute = new NpgsqlConnectionStringBuilder(_connectionString) { Host = "127.0.0.1", Port = port }.ConnectionString;

        var result = await RunToolAsync("nodes", "--connection", mute, "--schema", Schema, "--app", App, "--timeout", "2");

        Assert.True(result.ExitCode == StoreUnreachable, $"exit {result.ExitCode}\n{result.Output}");
        Assert.Contains("Cannot connect to PostgreSQL", result.Output);
    }
}
