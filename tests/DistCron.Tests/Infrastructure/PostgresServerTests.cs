using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace DistCron.Tests.Infrastructure;

public class PostgresServerTests
{
    [Fact]
    public async Task The_shared_server_starts_and_answers_select_version()
    {
        var server = await PostgresServer.SharedAsync();
        await using var dataSource = NpgsqlDataSource.Create(server.ConnectionString());
        await using var command = dataSource.CreateCommand("select version()");
        var version = (string?)await command.ExecuteScalarAsync();
        Assert.StartsWith("PostgreSQL ", version);
    }

    [Fact]
    public async Task Each_created_database_is_fresh_and_distinct()
    {
        var server = await PostgresServer.SharedAsync();
        var first = await server.CreateDatabaseAsync("a");
        var second = await server.CreateDatabaseAsync("a");
        Assert.NotEqual(first, second);
        await using var dataSource = NpgsqlDataSource.Create(first);
        await using var command = dataSource.CreateCommand("select count(*) from pg_tables where schemaname not in ('pg_catalog', 'information_schema')");
        Assert.Equal(0L, (long)(await command.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task The_superuser_needs_its_password_over_tcp()
    {
        var server = await PostgresServer.SharedAsync();
        var wrong = new NpgsqlConnectionStringBuilder(server.ConnectionString()) { Password = "not-the-password" }.ConnectionString;
        await using var connection = new NpgsqlConnection(wrong);
        var error = await Assert.ThrowsAsync<PostgresException>(() => connection.OpenAsync());
        Assert.Equal("28P01", error.SqlState); // invalid_password
    }

    [Fact]
    public async Task A_private_server_restarts_immediately_and_serves_again_then_stops_cleanly()
    {
        var server = await PostgresServer.StartAsync();
        try
        {
            await using var dataSource = NpgsqlDataSource.Create(server.ConnectionString());
            await using (var command = dataSource.CreateCommand("select 1")) Assert.Equal(1, await command.ExecuteScalarAsync());
            await server.RestartAsync(immediate: true);
            await using (var command = dataSource.CreateCommand("select 2"))
            {
                // The pool may hand out a connection the restart killed; Npgsql reports it, the next attempt succeeds.
                object? value = null;
                for (var attempt = 0; attempt < 5 && value is null; attempt++)
                {
                    try { value = await command.ExecuteScalarAsync(); }
                    catch (NpgsqlException) when (attempt < 4) { await Task.Delay(200); }
                }
                Assert.Equal(2, value);
            }
        }
        finally
        {
            await server.DisposeAsync();
        }

        Assert.False(Directory.Exists(server.RootDirectory));
    }

    // The test assemblies run in parallel, each starting clusters: a port chosen free can be taken by another process
    // before the server binds it. That start is retried on another port instead of failing the whole run.
    [Fact]
    public async Task A_port_taken_before_the_server_binds_it_is_replaced_by_a_free_one()
    {
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var taken = ((IPEndPoint)squatter.LocalEndpoint).Port;

        await using var server = await PostgresServer.StartAsync(port: taken);

        Assert.NotEqual(taken, server.Port);
        await using var dataSource = NpgsqlDataSource.Create(server.ConnectionString());
        await using var command = dataSource.CreateCommand("select 1");
        Assert.Equal(1, await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task A_server_that_cannot_start_fails_loudly_with_its_log_and_leaves_nothing_behind()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => PostgresServer.StartAsync(extraSettings: "shared_buffers = 'not-a-size'"));

        Assert.Contains("pg_ctl start failed", error.Message);
        Assert.Contains("--- server log ---", error.Message);
        Assert.Contains("shared_buffers", error.Message); // the server's own complaint, from its log
        var directory = System.Text.RegularExpressions.Regex.Match(error.Message, @"dir (\S+)\)").Groups[1].Value;
        Assert.Contains("distcron-pg-", directory);
        Assert.False(Directory.Exists(directory), $"{directory} was left behind");
    }
}
