using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using DistCron.Storage;
using DistCron.Tests.Infrastructure;
using Npgsql;

namespace DistCron.Tests.Engine;

/// <summary>PostgreSQL outages: a server that is not there at start, and a server that crashes while jobs run.</summary>
public sealed class PostgresEngineOutageTests : EngineTestBase
{
    protected override EngineStoreFactory CreateStoreFactory() => new PostgresEngineStoreFactory();

    [Fact]
    public async Task Unreachable_server_is_retried_with_warnings_that_never_contain_the_password()
    {
        var factory = (PostgresEngineStoreFactory)Store;
        var unreachable = new NpgsqlConnectionStringBuilder(factory.ConnectionString) { Port = FreePort(), Timeout = 2 }.ConnectionString;
        var password = new NpgsqlConnectionStringBuilder(unreachable).Password!;
        await StartNodeAsync([Job("never", "* * * * * *", (_, _) => Task.CompletedTask)], o => o.UsePostgres(unreachable));

        await WaitUntilAsync(() => Logs.Entries.Count(e => e.EventId.Id == 11) >= 2, "two failed attempts are logged");
        Assert.DoesNotContain(Logs.Entries, e => e.Message.Contains(password) || (e.Exception?.ToString().Contains(password) ?? false));
        Assert.DoesNotContain(Logs.Entries, e => e.Message.Contains("Password=", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Jobs_resume_after_the_server_crashes_and_restarts()
    {
        await using var server = await PostgresServer.StartAsync(crashSafe: true);
        var connectionString = await server.CreateDatabaseAsync("outage");
        var runs = new ConcurrentQueue<DateTimeOffset>();
        await StartNodeAsync([Job("survivor", "* * * * * *", (ctx, _) => { runs.Enqueue(ctx.ScheduledFor); return Task.CompletedTask; })],
            o => o.UsePostgres(connectionString));
        await WaitUntilAsync(() => runs.Count >= 2, "the job runs before the crash");

        await server.RestartAsync(immediate: true);
        var restartedAt = DateTimeOffset.UtcNow;
        await WaitUntilAsync(() => runs.Any(r => r > restartedAt.AddSeconds(1)), "the job runs again after the restart");
        Assert.Equal(runs.Count, runs.Distinct().Count());
        Assert.DoesNotContain(Logs.Entries, e => e.Message.Contains(server.Password) || (e.Exception?.ToString().Contains(server.Password) ?? false));
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
