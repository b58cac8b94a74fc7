using DistCron.Engine;
using DistCron.Hosting;
using DistCron.Storage;
using DistCron.Storage.Postgres;
using DistCron.Storage.Sqlite;
using Npgsql;

namespace DistCron.Tests.Storage;

/// <summary>
/// Every validated name rejects a trailing newline. A regex ending in <c>$</c> also matches before a final
/// <c>"\n"</c>: "distcron\n" passed, and LISTEN and pg_notify then used two different channels.
/// </summary>
public class TrailingNewlineNameTests
{
    [Theory]
    [InlineData("distcron\n")]
    [InlineData("distcron\r\n")]
    [InlineData("\ndistcron")]
    public void A_schema_name_with_a_newline_is_rejected(string schema)
    {
        var error = Assert.Throws<ArgumentException>(() => SqlNames.ValidateSchema(schema));
        Assert.Contains("schema name", error.Message);
        Assert.Contains("\\u000a", error.Message); // shown escaped, never as a raw line break
    }

    [Theory]
    [InlineData("billing\n")]
    [InlineData("billing\r\n")]
    public void An_app_name_with_a_newline_is_rejected(string app) =>
        Assert.Contains("application name", Assert.Throws<ArgumentException>(() => SqlNames.ValidateApp(app)).Message);

    [Fact]
    public void A_node_id_with_a_trailing_newline_is_rejected() =>
        Assert.Contains("NodeId must be", NodeId.Validate("web-01\n"));

    [Fact]
    public void The_names_without_the_newline_stay_valid()
    {
        Assert.Equal("distcron", SqlNames.ValidateSchema("distcron"));
        Assert.Equal("billing", SqlNames.ValidateApp("billing"));
        Assert.Null(NodeId.Validate("web-01"));
    }

    [Fact]
    public void Start_up_validation_rejects_each_name_with_a_trailing_newline()
    {
        var result = new DistCronOptionsValidator().Validate(null,
            new DistCronOptions { Schema = "distcron\n", App = "billing\n", NodeId = "web-01\n" });

        Assert.False(result.Succeeded);
        Assert.Contains("schema name 'distcron\\u000a' is invalid", result.FailureMessage);
        Assert.Contains("application name 'billing\\u000a' is invalid", result.FailureMessage);
        Assert.Contains("NodeId must be", result.FailureMessage);
    }

    [Fact]
    public async Task The_stores_and_the_client_reject_a_trailing_newline()
    {
        var path = Path.Combine(Path.GetTempPath(), $"distcron-newline-{Guid.NewGuid():N}.db");
        try
        {
            await using (var sqlite = new SqliteJobStore(path))
            {
                await sqlite.MigrateAsync(CancellationToken.None);
                await Assert.ThrowsAsync<ArgumentException>(() => sqlite.SeedAsync("billing\n",
                    [new SeedJob("job", "* * * * *", "UTC", "h", DateTimeOffset.UtcNow)], CancellationToken.None));
                Assert.Throws<ArgumentException>(() => new DistCronClient(sqlite, "billing\n"));
            }

            await using var dataSource = NpgsqlDataSource.Create("Host=127.0.0.1;Username=nobody");
            Assert.Throws<ArgumentException>(() => new PostgresJobStore(dataSource, "distcron\n"));
            Assert.Throws<ArgumentException>(() => DistCronClient.ForPostgres("Host=127.0.0.1;Username=nobody", "distcron\n"));
        }
        finally
        {
            foreach (var file in new[] { path, path + "-wal", path + "-shm" }) File.Delete(file);
        }
    }
}
