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
        var settings = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString);
        Assert.True(settings.NoResetOnClose);
        Assert.Equal(PostgresDataSources.AutoPreparedStatements, settings.MaxAutoPrepare);
    }

    [Theory]
    [InlineData("Host=localhost;Max Auto Prepare=0")] // PgBouncer in transaction mode
    [InlineData("Host=localhost;maxautoprepare=0")]
    public void An_explicit_auto_prepare_setting_wins(string connectionString)
    {
        using var dataSource = PostgresDataSources.Create(connectionString);
        Assert.Equal(0, new NpgsqlConnectionStringBuilder(dataSource.ConnectionString).MaxAutoPrepare);
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
