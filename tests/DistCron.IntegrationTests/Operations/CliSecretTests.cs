using System.Reflection;
using DistCron.Storage;
using DistCron.Storage.Postgres;
using DistCron.Tests.Infrastructure;
using Npgsql;

namespace DistCron.Tests.Operations;

/// <summary>
/// No command of the <c>distcron</c> tool ever prints a connection string or its password: every
/// command runs as a child process with a secret-bearing connection, given as --connection and as
/// DISTCRON_CONNECTION, for both stores, on success and on every failure (unreachable host, wrong password, missing
/// SQLite file, a connection string typed where another argument goes), and the secret is searched for in stdout
/// and stderr. The SQLite store used to echo it: "The SQLite file 'Host=…;Password=…' does not exist."
/// </summary>
public sealed class CliSecretTests
{
    private const string App = "cli-secrets";
    private const int Ok = 0, StoreUnreachable = 4; // the tool's exit codes
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(120);
    private static CancellationToken Ct => CancellationToken.None;

    // Every command that opens a store, with and without --json.
    private static readonly string[][] Commands =
    [
        ["jobs"], ["jobs", "--json"], ["history"], ["history", "nightly", "--limit", "5"], ["trigger", "nightly"],
        ["pause", "nightly"], ["resume", "nightly", "--json"], ["nodes"],
    ];

    private sealed record Case(string What, string[] Args, IReadOnlyDictionary<string, string> Environment, string[] Secrets, int? ExitCode);

    private static async Task<ProcessRunner.Result> RunToolAsync(IEnumerable<string> args, IReadOnlyDictionary<string, string> environment)
    {
        var tool = typeof(CliSecretTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "Cli").Value!;
        Assert.True(File.Exists(tool), $"The CLI was not built at {tool}.");
        var env = new Dictionary<string, string> { ["DISTCRON_CONNECTION"] = "" };
        foreach (var (key, value) in environment) env[key] = value;
        return await ProcessRunner.RunAsync("dotnet", [tool, .. args], ToolTimeout, env);
    }

    // Each case once per command, a few child processes at a time; every failure is collected before asserting.
    private static async Task AssertNoSecretAsync(IReadOnlyList<Case> cases)
    {
        var problems = new System.Collections.Concurrent.ConcurrentBag<string>();
        using var slots = new SemaphoreSlim(4);
        await Task.WhenAll(cases.Select(async c =>
        {
            await slots.WaitAsync();
            try
            {
                var result = await RunToolAsync(c.Args, c.Environment);
                var shown = $"{c.What}: distcron {string.Join(' ', c.Args.Select(a => c.Secrets.Aggregate(a, (t, s) => t.Replace(s, "<secret>"))))}";
                foreach (var secret in c.Secrets.Where(s => result.Output.Contains(s, StringComparison.Ordinal)))
                {
                    problems.Add($"{shown}\n  printed the secret '{secret}':\n{result.Output}");
                }

                if (c.ExitCode is { } expected && result.ExitCode != expected)
                {
                    problems.Add($"{shown}\n  exited {result.ExitCode}, expected {expected}:\n{result.Output}");
                }
            }
            finally
            {
                slots.Release();
            }
        }));
        Assert.True(problems.IsEmpty, string.Join("\n\n", problems));
    }

    // The same commands with the connection as an option and as the environment variable.
    private static IEnumerable<Case> BothWays(string what, string connection, string[] options, string[] secrets, int? exitCode)
    {
        foreach (var command in Commands)
        {
            yield return new Case(what + " (--connection)", [.. command, "--connection", connection, .. options, "--app", App],
                new Dictionary<string, string>(), secrets, exitCode);
            yield return new Case(what + " (DISTCRON_CONNECTION)", [.. command, .. options, "--app", App],
                new Dictionary<string, string> { ["DISTCRON_CONNECTION"] = connection }, secrets, exitCode);
        }
    }

    private static string[] SecretsOf(string connectionString) =>
        [connectionString, new NpgsqlConnectionStringBuilder(connectionString).Password!];

    [Fact]
    public async Task No_command_prints_the_postgres_connection_string_or_password_on_success_or_failure()
    {
        var server = await PostgresServer.SharedAsync();
        var connectionString = await server.CreateDatabaseAsync("clisecret");
        await using (var dataSource = NpgsqlDataSource.Create(connectionString))
        await using (var store = new PostgresJobStore(dataSource))
        {
            await store.MigrateAsync(Ct);
            var now = await store.GetDatabaseTimeAsync(Ct);
            await store.SeedAsync(App, [new SeedJob("nightly", "0 3 * * *", "UTC", "h1", now.AddHours(1))], Ct);
        }

        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var wrongPassword = new NpgsqlConnectionStringBuilder(connectionString) { Password = "wrong-" + builder.Password + "-s3cr3t" }.ConnectionString;
        var unreachable = new NpgsqlConnectionStringBuilder(connectionString) { Port = PostgresServer.FreePort(), Timeout = 3 }.ConnectionString;
        var cases = BothWays("working server", connectionString, [], SecretsOf(connectionString), Ok)
            .Concat(BothWays("wrong password", wrongPassword, [], SecretsOf(wrongPassword), StoreUnreachable))
            .Concat(BothWays("unreachable host", unreachable, [], SecretsOf(unreachable), StoreUnreachable))
            .Concat(BothWays("no schema", connectionString, ["--schema", "nothing_here"], SecretsOf(connectionString), StoreUnreachable))
            .Concat(Mistakes(connectionString))
            .ToArray();

        await AssertNoSecretAsync(cases);
    }

    [Fact]
    public async Task No_command_prints_a_connection_string_given_as_the_sqlite_path()
    {
        // The issue's case: --store sqlite without --sqlite takes the path from --connection / DISTCRON_CONNECTION.
        const string connection = "Host=db.internal;Username=ops;Password=hunter2-s3cr3t";
        var cases = BothWays("sqlite, missing file", connection, ["--store", "sqlite"], [connection, "hunter2-s3cr3t"], StoreUnreachable)
            .Concat(Mistakes(connection))
            .ToArray();

        await AssertNoSecretAsync(cases);

        var missing = await RunToolAsync(["jobs", "--store", "sqlite", "--connection", connection], new Dictionary<string, string>());
        Assert.Contains("The SQLite file named by --connection does not exist", missing.Output);
    }

    // A connection string typed where another argument goes (--connection forgotten or misplaced) is not echoed
    // by the error about that argument.
    private static IEnumerable<Case> Mistakes(string connection)
    {
        var secrets = SecretsOf(connection);
        var none = new Dictionary<string, string>();
        string[][] mistakes =
        [
            ["jobs", connection], ["nodes", connection], ["history", connection], ["trigger", connection], ["pause", connection],
            [connection], ["history", "--limit", connection], ["history", "--before", connection], ["history", "--status", connection],
            ["jobs", "--store", connection], ["jobs", "--sqlite", connection], ["jobs", "--schema", connection], ["jobs", "--app", connection],
            ["jobs", "--connection=" + connection, "--connection", connection],
        ];
        return mistakes.Select(args => new Case("misplaced connection string", args, none, secrets, null));
    }
}
