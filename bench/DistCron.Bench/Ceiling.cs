using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using DistCron.Storage.Postgres;

namespace DistCron.Bench;

/// <summary>
/// The ceiling: pgbench running DistCron's own per-occurrence statements (claim one row, verify, complete), their
/// text read at run time from <see cref="PostgresJobStore"/>'s constants, so the ceiling can never drift from the
/// code. Every row is due again at once on completion (infinite demand): pgbench's rate is what the database can do
/// with this protocol on this machine, without any .NET process in the way.
/// </summary>
internal static partial class Ceiling
{
    public const string App = "ceiling";
    private const string Node = "pgbench-node";

    public static string Sql(string constant) =>
        (string)(typeof(PostgresJobStore).GetField(constant, BindingFlags.NonPublic | BindingFlags.Static)?.GetRawConstantValue()
                 ?? throw new InvalidOperationException($"PostgresJobStore.{constant} not found: update the bench"));

    public static string Script(string schema, IReadOnlyList<string> names)
    {
        var nameArray = "'{" + string.Join(',', names) + "}'::text[]";
        var values = new Dictionary<string, string>
        {
            ["app"] = $"'{App}'", ["names"] = nameArray, ["node"] = $"'{Node}'", ["max"] = "1",
            ["lease"] = "interval '30 seconds'", ["name"] = ":c_name::text", ["fence"] = ":c_fence::bigint",
            ["channel"] = $"'distcron_{schema}'", ["status"] = "0::smallint", ["occurrence_at"] = ":c_occurrence_at::timestamptz",
            ["attempt"] = ":c_attempt::int", ["started_at"] = "now()", ["duration_ms"] = "0::bigint",
            ["error_type"] = "NULL::text", ["error_message"] = "NULL::text", ["manual"] = "false",
            ["next_due_at"] = "now()", ["next_occurrence_at"] = "now()", ["next_attempt"] = "1",
        };
        string Bind(string sql) => Parameter().Replace(sql.Replace("{schema}", schema), m =>
            values.TryGetValue(m.Groups[1].Value, out var v) ? v : throw new InvalidOperationException($"ceiling: no value for @{m.Groups[1].Value}"));

        var script = new StringBuilder();
        script.Append(Bind(Sql("ClaimSql"))).Append("\n\\gset c_\n");
        script.Append(Bind(Sql("VerifySql"))).Append(";\n");
        script.Append(Bind(Sql("CompleteSql"))).Append(";\n");
        return script.ToString();
    }

    [GeneratedRegex(@"@(\w+)")]
    private static partial Regex Parameter();
}
