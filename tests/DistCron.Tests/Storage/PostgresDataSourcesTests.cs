using DistCron.Storage.Postgres;
using Npgsql;
using Xunit;

namespace DistCron.Tests.Storage;

public sealed class PostgresDataSourcesTests
{
    [Fact]
    public void The_owned_data_source_skips_the_pool_reset()
    {
        using var dataSource = PostgresDataSources.Create("Host=localhost;Username=u;Password=secret");
        Assert.True(new NpgsqlConnectionStringBuilder(dataSource.ConnectionString).NoResetOnClose);
    }

    [Theory]
    [InlineData("Host=localhost;No Reset On Close=false")]
    [InlineData("Host=localhost;noresetonclose=False")]
    public void An_explicit_setting_in_the_connection_string_wins(string connectionString)
    {
        using var dataSource = PostgresDataSources.Create(connectionString);
        Assert.False(new NpgsqlConnectionStringBuilder(dataSource.ConnectionString).NoResetOnClose);
    }
}
