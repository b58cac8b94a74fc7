using System.Text;
using System.Text.RegularExpressions;
using DistCron.Storage.Postgres;

namespace DistCron.Bench;

/// <summary>
/// The ceiling: pgbench running DistCron's own statements — claim, verify (one per batch), complete — their text read
/// from <see cref="PostgresJobStore"/>'s (internal) constants, so the ceiling can never drift from the code. Every row
/// is due again at once on completion (infinite demand): pgbench's rate is what the database can do with this
/// protocol on this machine, with no .NET process in the way.
/// </summary>
/// <remarks>
/// Two shapes. "ceiling-1": one pgbench transaction = claim one row, verify it, complete it (the protocol unbatched).
/// "ceiling": one transaction = one claim of <c>batch</c> rows (as a node with that many free slots does), one verify
/// of the batch, then one completion per row — the statements a perfectly efficient node would send. pgbench cannot loop over a
/// result set, so for the batched shape the claim's final SELECT (only the shape of its result, not the CTEs that do
/// the work) is rewritten to return arrays, which the per-row statements index. Occurrences are counted from the runs
/// rows the completions insert, not from pgbench's transaction count.
/// </remarks>
internal static partial class Ceiling
{
    public const string App = "ceiling";
    private const string Node = "pgbench-node";
    private const string FinalSelect = "SELECT clock_timestamp(), e.due_at, m.self_live, m.fingerprint, c.name, c.fence, c.occurrence_at, c.attempt, c.next_due_at,";

    public static string Script(string schema, int batch, int restartEvery)
    {
        var claim = PostgresJobStore.ClaimSql;
        if (batch > 1)
        {
            var start = claim.IndexOf(FinalSelect, StringComparison.Ordinal);
            var from = start < 0 ? -1 : claim.IndexOf("FROM (SELECT ", start, StringComparison.Ordinal); // the FROM of the final SELECT
            if (start < 0 || from < start) throw new InvalidOperationException("PostgresJobStore.ClaimSql's final SELECT changed: update Ceiling.Script");
            claim = claim[..start] +
                    "SELECT now(), min(e.due_at) AS due_at, array_agg(c.name) AS names, array_agg(c.fence) AS fences, " +
                    "array_agg(c.occurrence_at) AS occs, array_agg(c.attempt) AS attempts, " +
                    "coalesce(max(r.next_due_at), '-infinity') AS rdue, coalesce(max(r.name), '') AS rname\n" + claim[from..];
        }

        var common = new Dictionary<string, string>
        {
            // As a node claims: an (empty) exclusion list.
            ["app"] = $"'{App}'", ["skip"] = "'{}'::text[]", ["node"] = $"'{Node}'",
            ["max"] = batch.ToString(System.Globalization.CultureInfo.InvariantCulture), ["lease"] = "interval '30 seconds'",
            // As a node's claims do: keep the (here absent) node registration alive and fingerprint the others.
            ["live_window"] = "interval '90 seconds'", ["ahead"] = "interval '100 milliseconds'",
            ["channel"] = $"'distcron_{schema}'", ["status"] = "0::smallint", ["started_at"] = "now()", ["duration_ms"] = "0::bigint",
            ["error_type"] = "NULL::text", ["error_message"] = "NULL::text", ["last_error"] = "NULL::text", ["manual"] = "false",
            ["next_due_at"] = "now()", ["next_occurrence_at"] = "now()", ["next_attempt"] = "1",
            // The claim's schedule revision, as a node sends it: the ceiling never re-seeds, so every row is at 0.
            ["schedule_rev"] = "0::bigint",
            ["after_due"] = "'-infinity'::timestamptz", ["after_name"] = "''::text",
        };

        // As a saturated node claims (ClaimPacer.ResumeAfter): after the last row its previous claim took, and from the
        // start once every `restartEvery` claims of the client (the harness makes that every 5 s, as a node). pgbench
        // keeps a client's variables from one transaction to the next; n starts at 0 (-D n=0), so the first claim (n = 1)
        // is from the start, as the test `n % restartEvery = 1 % restartEvery` also holds when restartEvery is 1.
        var resumed = new Dictionary<string, string>(common)
        {
            ["after_due"] = batch == 1 ? ":c_next_due_at::timestamptz" : ":c_rdue::timestamptz",
            ["after_name"] = batch == 1 ? ":c_name::text" : ":c_rname::text",
        };
        var script = new StringBuilder();
        script.Append("\\set n :n + 1\n");
        script.Append(System.Globalization.CultureInfo.InvariantCulture, $"\\if :n % {restartEvery} = {1 % restartEvery}\n");
        script.Append(Bind(claim, schema, common)).Append("\n\\gset c_\n");
        script.Append("\\else\n");
        script.Append(Bind(claim, schema, resumed)).Append("\n\\gset c_\n");
        script.Append("\\endif\n");

        // One verify for the whole batch, as NodeLoop sends it before the batch's runs start.
        var verify = new Dictionary<string, string>(common)
        {
            ["names"] = batch == 1 ? "ARRAY[:c_name::text]" : ":c_names::text[]",
            ["fences"] = batch == 1 ? "ARRAY[:c_fence::bigint]" : ":c_fences::bigint[]",
        };
        verify["apps"] = $"array_fill('{App}'::text, ARRAY[cardinality({verify["names"]})])";
        verify["nodes"] = $"array_fill('{Node}'::text, ARRAY[cardinality({verify["names"]})])";
        script.Append(Bind(PostgresJobStore.VerifySql, schema, verify)).Append(";\n");

        for (var i = 1; i <= batch; i++)
        {
            var row = new Dictionary<string, string>(common);
            if (batch == 1)
            {
                row["name"] = ":c_name::text"; row["fence"] = ":c_fence::bigint";
                row["occurrence_at"] = ":c_occurrence_at::timestamptz"; row["attempt"] = ":c_attempt::int";
            }
            else
            {
                row["name"] = $"(:c_names::text[])[{i}]"; row["fence"] = $"(:c_fences::bigint[])[{i}]";
                row["occurrence_at"] = $"(:c_occs::timestamptz[])[{i}]"; row["attempt"] = $"(:c_attempts::int[])[{i}]";
            }
            script.Append(Bind(PostgresJobStore.CompleteSql, schema, row)).Append(";\n");
        }
        return script.ToString();
    }

    private static string Bind(string sql, string schema, Dictionary<string, string> values) =>
        Parameter().Replace(sql.Replace("{schema}", schema), m =>
            values.TryGetValue(m.Groups[1].Value, out var v) ? v : throw new InvalidOperationException($"ceiling: no value for @{m.Groups[1].Value}"));

    [GeneratedRegex(@"@(\w+)")]
    private static partial Regex Parameter();
}
