using System.Data.Common;
using Npgsql;

namespace DistCron.Storage.Postgres;

/// <summary>Builds the data source DistCron owns when it is given a connection string.</summary>
internal static class PostgresDataSources
{
    /// <summary>
    /// A data source for <paramref name="connectionString"/> with <c>No Reset On Close=true</c> unless the string sets
    /// that key itself. Npgsql's default resets every pooled connection on return (<c>DISCARD ALL</c>, sent with the
    /// next statement), which doubled DistCron's statement count: DistCron's statements leave no session state (no
    /// <c>SET</c>, no temp tables, no session advisory locks; transactions end before the connection returns), and the
    /// LISTEN connection runs <c>UNLISTEN *</c> itself before it goes back to the pool.
    /// </summary>
    /// <remarks>
    /// Also <c>Max Auto Prepare</c> (unless set): Npgsql prepares DistCron's few statements on each pooled connection
    /// after a few uses, so PostgreSQL stops planning them on every call: the claim (a statement of several CTEs) costs
    /// several times more to plan than to execute. Behind PgBouncer in transaction mode before
    /// version 1.21 prepared statements do not work: set <c>Max Auto Prepare=0</c> there.
    /// </remarks>
    public static NpgsqlDataSource Create(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        if (!SetsKey(connectionString, "noresetonclose")) builder.ConnectionStringBuilder.NoResetOnClose = true;
        if (!SetsKey(connectionString, "maxautoprepare")) builder.ConnectionStringBuilder.MaxAutoPrepare = AutoPreparedStatements;
        return builder.Build();
    }

    /// <summary>More than the statements a node sends repeatedly (claim, verify, complete, heartbeat, register, …).</summary>
    internal const int AutoPreparedStatements = 32;

    // Keys compared without spaces or case, as Npgsql accepts them ("No Reset On Close", "NoResetOnClose").
    private static bool SetsKey(string connectionString, string normalizedKey)
    {
        var generic = new DbConnectionStringBuilder { ConnectionString = connectionString };
        foreach (string key in generic.Keys)
        {
            if (string.Equals(key.Replace(" ", "", StringComparison.Ordinal), normalizedKey, StringComparison.OrdinalIgnoreCase)) return true;
        }

        return false;
    }
}
