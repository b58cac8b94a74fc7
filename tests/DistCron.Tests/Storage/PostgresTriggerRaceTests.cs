using DistCron.Storage;
using DistCron.Storage.Postgres;
using DistCron.Tests.Infrastructure;
using Npgsql;

namespace DistCron.Tests.Storage;

/// <summary>
/// A completion clears the trigger requests made at or before its claim. On PostgreSQL a trigger's time is its
/// transaction's start, which can be before a claim that commits first: such a request was written after the claim
/// (it waited for the claimed row), and the run must not silently satisfy it.
/// </summary>
public sealed class PostgresTriggerRaceTests : IAsyncLifetime
{
    private const string App = "pg-trigger-race";
    private static CancellationToken Ct => CancellationToken.None;

    private PostgresServer _server = null!;
    private NpgsqlDataSource? _dataSource;
    private PostgresJobStore? _store;

    public async Task InitializeAsync() => _server = await PostgresServer.SharedAsync();

    public async Task DisposeAsync()
    {
        if (_store is not null) await _store.DisposeAsync();
        if (_dataSource is not null) await _dataSource.DisposeAsync();
    }

    [Fact]
    public async Task A_trigger_whose_transaction_started_before_a_claim_outlives_that_claims_completion()
    {
        var connectionString = await _server.CreateDatabaseAsync("trigger-race");
        _dataSource = NpgsqlDataSource.Create(connectionString);
        _store = new PostgresJobStore(_dataSource);
        await _store.MigrateAsync(Ct);
        var now = await _store.GetDatabaseTimeAsync(Ct);
        await _store.SeedAsync(App, [new SeedJob("a", "0 0 1 1 *", "UTC", "h1", now.AddSeconds(-1))], Ct);

        // The trigger's transaction starts (its now() is fixed here), then a node claims the row and commits.
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var start = new NpgsqlCommand("SELECT now()", connection, transaction)) await start.ExecuteScalarAsync();
        await Task.Delay(20);
        var claim = Assert.Single((await _store.ClaimDueAsync(new ClaimRequest(App, "n1", 10, TimeSpan.FromMinutes(5)), Ct)).Claimed);

        // The store's own trigger statement, in that transaction: it lands after the claim.
        await using (var trigger = new NpgsqlCommand(PostgresJobStore.TriggerSql.Replace("{schema}", "distcron", StringComparison.Ordinal), connection, transaction))
        {
            trigger.Parameters.AddWithValue("app", App);
            trigger.Parameters.AddWithValue("name", "a");
            trigger.Parameters.AddWithValue("channel", _store.Channel);
            trigger.Parameters.AddWithValue("actor", "test");
            trigger.Parameters.AddWithValue("reason", DBNull.Value);
            await trigger.ExecuteNonQueryAsync();
        }

        await transaction.CommitAsync();
        Assert.True(await _store.CompleteAsync(new Completion(claim.Token, RunStatus.Succeeded, claim.OccurrenceAt, claim.Attempt,
            claim.DueAt, TimeSpan.FromMilliseconds(1), null, null, now.AddYears(1), now.AddYears(1), 1, ScheduleRevision: claim.ScheduleRevision), Ct));

        // The request is still pending: the next claim is the manual run it asked for.
        var again = Assert.Single((await _store.ClaimDueAsync(new ClaimRequest(App, "n1", 10, TimeSpan.FromMinutes(5)), Ct)).Claimed);
        Assert.True(again.IsManualTrigger);
    }
}
