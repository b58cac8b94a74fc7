using System.Text.Json;
using DistCron.Storage;
using DistCron.Storage.Sqlite;

namespace DistCron.Tests.Storage;

/// <summary>
/// The SQLite store's reflection-free JSON (it must work in trimmed and Native AOT apps) writes exactly the text the
/// reflection-based serializer wrote before, which the store's SQL reads with json_each and ->>: same escaping of
/// quotes, control and non-ASCII characters, numbers and nulls in the same positions.
/// </summary>
public sealed class SqliteJsonTests
{
    private static readonly string[] Awkward = ["plain", "quote \" and \\ backslash", "new\nline\t", "été 東京 🕐", "", "<script>&'"];

    [Fact]
    public void Names_are_the_text_the_reflection_serializer_wrote_and_read_back_unchanged()
    {
        Assert.Equal(JsonSerializer.Serialize(Awkward), SqliteJson.Names(Awkward));
        Assert.Equal(JsonSerializer.Serialize(Awkward), SqliteJson.Names(Awkward.ToList()));
        Assert.Equal("[]", SqliteJson.Names([]));
        Assert.Equal(Awkward, SqliteJson.ReadNames(SqliteJson.Names(Awkward)));
        Assert.Empty(SqliteJson.ReadNames("null"));
    }

    [Fact]
    public void Seed_rows_are_positional_arrays_with_nulls_where_values_are_missing()
    {
        var due = DateTimeOffset.FromUnixTimeMilliseconds(1_764_000_000_123);
        SeedJob[] jobs =
        [
            new("a", "*/5 * * * *", "Europe/Paris", "0123456789abcdef", due, 202611270335) { CodeHash = "fedcba9876543210" },
            new("été \"x\"", "@daily", "UTC", "hash", null) { Disabled = true },
            new("b", "* * * * *", "UTC", "h", null) { Facts = new("Shop.Jobs", "Run", CronFormat.Standard, MisfirePolicy.Skip, null, null, 1) },
        ];

        var reflection = JsonSerializer.Serialize(jobs.Select(j => new object?[]
        {
            j.Name, j.Schedule, j.TimeZone, j.DefinitionHash, j.NextDueAt?.ToUnixTimeMilliseconds(), j.DefinitionVersion, j.Disabled ? 1 : 0, j.CodeHash,
            j.Facts?.DeclaringType, j.Facts?.MethodName, j.FactsOptions,
        }));
        Assert.Equal(reflection, SqliteJson.SeedBatch(jobs));
        Assert.Equal("""[["a","*/5 * * * *","Europe/Paris","0123456789abcdef",1764000000123,202611270335,0,"fedcba9876543210",null,null,null],["\u00E9t\u00E9 \u0022x\u0022","@daily","UTC","hash",null,null,1,null,null,null,null],["b","* * * * *","UTC","h",null,null,0,null,"Shop.Jobs","Run","{\u0022definitionHash\u0022:\u0022h\u0022,\u0022format\u0022:\u0022Standard\u0022,\u0022misfire\u0022:\u0022Skip\u0022,\u0022timeoutMs\u0022:null,\u0022retryDelayMs\u0022:null,\u0022maxRetries\u0022:1,\u0022overriddenBy\u0022:[]}"]]""", SqliteJson.SeedBatch(jobs));
        Assert.Equal("[]", SqliteJson.SeedBatch([]));
    }

    [Fact]
    public void Claim_rows_are_positional_arrays()
    {
        ClaimToken[] claims = [new("app", "job \"1\"", "node-1", 42), new("app", "é", "node-2", long.MaxValue)];
        var reflection = JsonSerializer.Serialize(claims.Select(c => new object[] { c.App, c.JobName, c.NodeId, c.Fence }));
        Assert.Equal(reflection, SqliteJson.ClaimBatch(claims));
    }
}
