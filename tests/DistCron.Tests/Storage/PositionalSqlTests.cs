using DistCron.Storage.Postgres;
using Npgsql;
using NpgsqlTypes;

namespace DistCron.Tests.Storage;

/// <summary>
/// The rewrite of named-parameter SQL into PostgreSQL's positional form, done once per store so Npgsql does not parse
/// the per-occurrence statements on every execution. Executed for real by the PostgreSQL conformance suite.
/// </summary>
public sealed class PositionalSqlTests
{
    [Fact]
    public void Names_become_numbers_in_order_of_first_use_and_a_repeated_name_keeps_its_number()
    {
        var sql = PositionalSql.Rewrite("SELECT @b, @a::text[], @b + 1 FROM t WHERE x = ANY(@a) AND y = @c_2");
        Assert.Equal("SELECT $1, $2::text[], $1 + 1 FROM t WHERE x = ANY($2) AND y = $3", sql.Text);
        Assert.Equal(["b", "a", "c_2"], sql.Names);
    }

    [Fact]
    public void Literals_quoted_identifiers_comments_and_operators_are_left_alone()
    {
        const string Input = """
            -- within @ahead, or 'now'
            SELECT '@not_a_parameter', 'it''s @x', "col@y", @real /* @neither */, a <@ b, a @> b, @@ c
            """;
        var sql = PositionalSql.Rewrite(Input);
        Assert.Equal(Input.Replace("@real", "$1", StringComparison.Ordinal), sql.Text);
        Assert.Equal(["real"], sql.Names);
    }

    [Theory]
    [InlineData("SELECT $1")]
    [InlineData("SELECT $$text$$")]
    [InlineData("SELECT 'unterminated")]
    [InlineData("SELECT 1 /* unterminated")]
    public void Positional_dollar_quoted_or_unterminated_input_is_rejected(string input) =>
        Assert.Throws<ArgumentException>(() => PositionalSql.Rewrite(input));

    [Fact]
    public void Parameters_are_bound_unnamed_in_positional_order_by_the_names_the_SQL_was_written_with()
    {
        var sql = PositionalSql.Rewrite("SELECT @second_used_first, @first");
        using var command = new NpgsqlCommand(sql.Text);
        var p = sql.Bind(command.Parameters);
        p.Set("first", 1);
        p.Set("second_used_first", NpgsqlDbType.Text, "x");

        Assert.Equal(2, command.Parameters.Count);
        Assert.All(command.Parameters, parameter => Assert.Equal("", parameter.ParameterName)); // positional: Npgsql sends the text as is
        Assert.Equal("x", command.Parameters[0].Value);
        Assert.Equal(NpgsqlDbType.Text, command.Parameters[0].NpgsqlDbType);
        Assert.Equal(1, command.Parameters[1].Value);
        var unknown = Assert.Throws<ArgumentException>(() => p.Set("third", 3));
        Assert.Contains("@third", unknown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_parameter_collection_that_is_not_empty_is_refused()
    {
        var sql = PositionalSql.Rewrite("SELECT @a");
        using var command = new NpgsqlCommand(sql.Text);
        command.Parameters.AddWithValue("a", 1);
        Assert.Throws<InvalidOperationException>(() => sql.Bind(command.Parameters));
    }
}
