using Npgsql;

namespace DistCron.Tests.Infrastructure;

/// <summary>
/// The test cluster collates like a production database, not like C: a suite on --locale=C hid a deadlock between
/// statements that locked rows in byte order and statements that locked them in the database's collation.
/// </summary>
public class PostgresServerLocaleTests
{
    [Fact]
    public async Task Databases_of_the_shared_cluster_sort_text_in_en_US_order_not_byte_order()
    {
        var server = await PostgresServer.SharedAsync();
        await using var dataSource = NpgsqlDataSource.Create(await server.CreateDatabaseAsync("locale"));
        await using var command = dataSource.CreateCommand(
            "SELECT string_agg(x, ',' ORDER BY x), string_agg(x, ',' ORDER BY x COLLATE \"C\") FROM (VALUES ('B'), ('a'), ('c')) v(x)");
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal("a,B,c", reader.GetString(0));
        Assert.Equal("B,a,c", reader.GetString(1));
    }
}
