using DistCron.Storage;
using DistCron.Storage.Postgres;
using DistCron.Tests.Infrastructure;
using Npgsql;

namespace DistCron.Tests.Storage;

/// <summary>
/// One lock order for job rows everywhere. A completion batch locks its rows in ordinal (byte) order;
/// the seed and the registration's orphan flip locked theirs in the database's collation. Under ICU en-US "a" sorts
/// before "B" and bytes put "B" first, so a batch and a seed over the same rows each held what the other wanted next:
/// <c>40P01 deadlock detected</c>. These tests run both at once, many times, on an en-US database.
/// </summary>
public sealed class PostgresLockOrderTests : IAsyncLifetime
{
    private const string App = "lock-order";
    private const int Rounds = 8;
    private static readonly TimeSpan LongLease = TimeSpan.FromMinutes(5);
    private static CancellationToken Ct => CancellationToken.None;

    // Alternating case: a000, B001, c002, D003, ... The en-US order and the byte order disagree on almost every pair.
    private static readonly string[] Names = Enumerable.Range(0, 200)
        .Select(i => $"{(char)((i % 2 == 0 ? 'a' : 'A') + i % 26)}{i:000}").ToArray();

    private readonly List<IAsyncDisposable> _owned = [];
    private string _connectionString = null!;

    public async Task InitializeAsync()
    {
        var server = await PostgresServer.SharedAsync();
        var name = $"icu_{Guid.NewGuid():N}";
        await using (var connection = new NpgsqlConnection(server.ConnectionString()))
        {
            await connection.OpenAsync();
            // Explicitly en-US, whatever the cluster's default: this test is about a non-C collation.
            await using var create = new NpgsqlCommand(
                $"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C' LOCALE_PROVIDER icu ICU_LOCALE 'en-US'", connection);
            await create.ExecuteNonQueryAsync();
        }

        _connectionString = new NpgsqlConnectionStringBuilder(server.ConnectionString(name)).ConnectionString;
        await using var dataSource = NpgsqlDataSource.Create(_connectionString);
        await using var check = dataSource.CreateCommand("SELECT 'a' < 'B'");
        Assert.True((bool)(await check.ExecuteScalarAsync())!, "the database must sort like en-US, not like C");
    }

    public async Task DisposeAsync()
    {
        for (var i = _owned.Count - 1; i >= 0; i--) await _owned[i].DisposeAsync();
    }

    private PostgresJobStore Store()
    {
        var dataSource = NpgsqlDataSource.Create(_connectionString);
        var store = new PostgresJobStore(dataSource);
        _owned.Add(dataSource);
        _owned.Add(store);
        return store;
    }

    private static SeedJob Job(string name, DateTimeOffset due) => new(name, "* * * * *", "UTC", "h1", due);

    [Theory]
    [InlineData("seed")]
    [InlineData("registration")]
    public async Task A_completion_batch_and_a_concurrent_writer_of_the_same_rows_never_deadlock(string writer)
    {
        var completer = Store();
        var other = Store();
        await completer.MigrateAsync(Ct);
        var now = await completer.GetDatabaseTimeAsync(Ct);
        var due = now.AddSeconds(-1);
        await completer.SeedAsync(App, Names.Select(n => Job(n, due)).ToArray(), Ct);

        for (var round = 0; round < Rounds; round++)
        {
            var claims = (await completer.ClaimDueAsync(new ClaimRequest(App, "completer", Names.Length, LongLease), Ct)).Claimed;
            Assert.Equal(Names.Length, claims.Count);
            // Due again at once, so the next round claims every row again.
            var completions = claims.Select(c => new Completion(c.Token, RunStatus.Succeeded, c.OccurrenceAt, c.Attempt, c.DueAt,
                TimeSpan.FromMilliseconds(1), null, null, due, due, 1)).ToArray();

            // The seed locks every row (ON CONFLICT DO UPDATE locks even when its WHERE leaves the row unchanged); the
            // registration flips every row's orphan flag (no names: all orphaned; all names: none).
            var orphanAll = round % 2 == 0;
            Func<Task> write = writer == "seed"
                ? () => other.SeedAsync(App, Names.Select(n => Job(n, now.AddHours(1))).ToArray(), Ct)
                : () => other.RegisterNodeAsync(new NodeInfo(App, "flipper", "host", 1, orphanAll ? [] : Names), TimeSpan.FromMinutes(5), Ct);

            using var start = new Barrier(2);
            var completing = Task.Run(async () => { start.SignalAndWait(); return await completer.CompleteAsync(completions, Ct); });
            var writing = Task.Run(async () => { start.SignalAndWait(); await write(); });
            try
            {
                await Task.WhenAll(completing, writing);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DeadlockDetected)
            {
                Assert.Fail($"round {round}: the completion batch and the {writer} deadlocked: {e.MessageText}");
            }

            Assert.All(await completing, Assert.True);
        }

        if (writer == "registration")
        {
            // The flips really happened: the last round (odd) registered every name, so nothing is orphaned, and the
            // one before orphaned all of them.
            Assert.All(await completer.ListJobsAsync(App, Ct), j => Assert.False(j.Orphaned));
        }
    }
}
