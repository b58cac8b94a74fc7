using System.Collections.Concurrent;
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
        var unreachable = new NpgsqlConnectionStringBuilder(factory.ConnectionString) { Port = PostgresServer.FreePort(), Timeout = 2 }.ConnectionString;
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

    [Fact]
    public async Task Heartbeats_that_cannot_reach_the_row_until_the_lease_runs_out_cancel_the_job_without_completing_it()
    {
        var factory = (PostgresEngineStoreFactory)Store;
        var job = new RunOnceUntilCancelled("blocked");
        await PreSeedAsync(job.Definition, now => now);
        await StartNodeAsync([job.Definition]);
        await WithinDeadline(job.Running.ContinueWith(_ => true), "the job to start");

        // Another session holds the row: every heartbeat UPDATE waits on the lock, as it would on an unreachable server.
        await using (var blocker = new NpgsqlConnection(factory.ConnectionString))
        {
            await blocker.OpenAsync();
            await using var transaction = await blocker.BeginTransactionAsync();
            await using (var lockRow = new NpgsqlCommand("SELECT 1 FROM distcron.jobs WHERE app = @app AND name = 'blocked' FOR UPDATE", blocker, transaction))
            {
                lockRow.Parameters.AddWithValue("app", App);
                await lockRow.ExecuteScalarAsync();
            }

            await WithinDeadline(job.Cancelled.ContinueWith(_ => true), "the job to be cancelled once the lease could not be kept");
            await WaitUntilAsync(() => Logs.Entries.Any(e => e.EventId.Id == 4 && e.Message.Contains("while running")), "the lost claim is logged");
            Assert.True(Logs.Has(13), "the failed heartbeats were logged");
            await transaction.RollbackAsync();
        }

        // Nothing was recorded for the abandoned claim; the occurrence is claimed again and completed exactly once.
        await WaitUntilAsync(async () => (await HistoryAsync("blocked")).Count == 1, "the occurrence is re-run and recorded");
        var run = (await HistoryAsync("blocked")).Single();
        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.Equal(2, job.Starts);
    }
}
