using System.Reflection;
using System.Text.RegularExpressions;
using DistCron.Storage.Postgres;

namespace DistCron.Tests.Docs;

/// <summary>
/// The SQL the documentation shows is the SQL the PostgreSQL store runs. Every <c>sql</c> block carries a marker on
/// the line before its fence:
/// <list type="bullet">
/// <item><c>&lt;!-- sql: NameSql [OtherSql …] --&gt;</c>: the block is exactly those statements of the store, in that
/// order, with <c>{schema}</c> shown as <c>distcron</c> (compared without comments and layout).</item>
/// <item><c>&lt;!-- sql: abridged NameSql --&gt;</c>: the block shortens that statement with <c>…</c>; every piece
/// between two <c>…</c> appears in the statement, in the order shown.</item>
/// <item><c>&lt;!-- sql: not-code REASON --&gt;</c>: SQL the store never runs (grants a DBA applies, say).</item>
/// </list>
/// Statements are found by their constant's name anywhere in DistCron.Storage.Postgres, so moving them between files
/// or classes does not break the docs.
/// </summary>
public sealed partial class DocSqlTests
{
    public static TheoryData<string> SqlBlocks()
    {
        var data = new TheoryData<string>();
        foreach (var block in MarkdownBlocks.All().Where(b => b.Language == "sql")) data.Add(block.ToString());
        return data;
    }

    [Theory]
    [MemberData(nameof(SqlBlocks))]
    public void The_shown_sql_is_what_the_store_runs(string where)
    {
        var block = MarkdownBlocks.All().Single(b => b.ToString() == where);
        Assert.True(block.Marker is not null, $"{where}: an sql block says which statement it shows (<!-- sql: NameSql -->), or why it is not the store's (<!-- sql: not-code REASON -->).");
        var words = block.Marker!["sql:".Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words[0] == "not-code")
        {
            Assert.True(words.Length > 2, $"{where}: not-code says why.");
            return;
        }

        if (words[0] == "abridged")
        {
            var statement = Normalize(Statement(words[1]));
            var at = 0;
            foreach (var piece in Normalize(block.Code).Split('…').Select(p => p.Trim(' ', ',', ';')).Where(p => p.Length > 0))
            {
                var found = statement.IndexOf(piece, at, StringComparison.Ordinal);
                Assert.True(found >= 0, $"{where}: '{piece}' is not in {words[1]} (after what the block showed before it). The code runs:\n{Statement(words[1])}");
                at = found + piece.Length;
            }

            return;
        }

        var expected = string.Join(";\n", words.Select(w => Statement(w).TrimEnd().TrimEnd(';')));
        Assert.True(Normalize(block.Code) == Normalize(expected),
            $"{where} differs from {string.Join(" + ", words)}. Show what the code runs:\n{expected}");
    }

    [Fact]
    public void The_migrations_listed_in_operations_md_are_the_stores()
    {
        var text = File.ReadAllText(Path.Combine(MarkdownBlocks.RepositoryRoot, "docs", "operations.md"));
        var section = text[text.IndexOf("### Schema upgrades", StringComparison.Ordinal)..];
        var end = section.IndexOf("\n#", 1, StringComparison.Ordinal);
        if (end > 0) section = section[..end];
        var numbers = MigrationRow().Matches(section).Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(Enumerable.Range(1, PostgresSchema.LatestVersion), numbers);
        Assert.Equal(PostgresSchema.MigrationCount, numbers.Count);
    }

    [Fact]
    public void The_comparison_tells_a_changed_statement_apart()
    {
        var heartbeat = Statement("HeartbeatSql");
        Assert.Equal(Normalize(heartbeat), Normalize(heartbeat.Replace("\n", "\n   -- a comment\n", StringComparison.Ordinal)));
        Assert.NotEqual(Normalize(heartbeat), Normalize(heartbeat.Replace("fence = @fence", "fence >= @fence", StringComparison.Ordinal)));
    }

    /// <summary>The statement held by the constant <paramref name="name"/> of the PostgreSQL store, for schema <c>distcron</c>.</summary>
    public static string Statement(string name)
    {
        var fields = typeof(PostgresJobStore).Assembly.GetTypes()
            .Where(t => t.Namespace == typeof(PostgresJobStore).Namespace)
            .SelectMany(t => t.GetFields(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic))
            .Where(f => f.Name == name && f.IsLiteral && f.FieldType == typeof(string))
            .ToList();
        var field = Assert.Single(fields);
        return ((string)field.GetRawConstantValue()!).Replace("{schema}", "distcron", StringComparison.Ordinal).Trim();
    }

    private static string Normalize(string sql)
    {
        var noComments = LineComment().Replace(sql, "");
        var spaced = Whitespace().Replace(noComments, " ");
        return TightPunctuation().Replace(spaced, "$1").Trim().TrimEnd(';').Trim();
    }

    [GeneratedRegex(@"--[^\n]*")]
    private static partial Regex LineComment();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"\s*([(),;])\s*")]
    private static partial Regex TightPunctuation();

    [GeneratedRegex(@"^\|\s*(\d+)\s*\|", RegexOptions.Multiline)]
    private static partial Regex MigrationRow();
}
