using System.Text;
using Npgsql;
using NpgsqlTypes;

namespace DistCron.Storage.Postgres;

/// <summary>
/// A statement written with named parameters (<c>@name</c>, readable and reviewable) rewritten once, when the store is
/// built, into PostgreSQL's positional form (<c>$1</c>, <c>$2</c>…). Npgsql sends positional SQL untouched, but parses
/// named SQL on every execution to rewrite it, a visible share of a busy node's CPU because the claim's text is long
/// (docs/benchmarks.md). Used for the statements sent per occurrence (claim, verify, heartbeat, completion); the rest stay named.
/// </summary>
internal sealed class PositionalSql
{
    private readonly Dictionary<string, int> _ordinals;

    private PositionalSql(string text, Dictionary<string, int> ordinals)
    {
        Text = text;
        _ordinals = ordinals;
    }

    /// <summary>The positional SQL, as sent.</summary>
    public string Text { get; }

    /// <summary>The parameter names, in positional order ($1 first).</summary>
    public IReadOnlyList<string> Names => _ordinals.OrderBy(p => p.Value).Select(p => p.Key).ToArray();

    /// <summary>
    /// Rewrites every <c>@name</c> outside string literals, quoted identifiers and comments to <c>$n</c>, numbering the
    /// names in order of first appearance (a name used twice gets the same number). A <c>$</c> outside them is
    /// rejected: positional or dollar-quoted text in the input would be ambiguous.
    /// </summary>
    public static PositionalSql Rewrite(string sql)
    {
        ArgumentException.ThrowIfNullOrEmpty(sql);
        var ordinals = new Dictionary<string, int>(StringComparer.Ordinal);
        var text = new StringBuilder(sql.Length);
        var i = 0;
        while (i < sql.Length)
        {
            var c = sql[i];
            if (c == '\'' || c == '"')
            {
                i = CopyQuoted(sql, i, c, text);
            }
            else if (c == '-' && At(sql, i + 1) == '-')
            {
                var end = sql.IndexOf('\n', i);
                i = CopyUpTo(sql, i, end < 0 ? sql.Length : end, text);
            }
            else if (c == '/' && At(sql, i + 1) == '*')
            {
                var end = sql.IndexOf("*/", i + 2, StringComparison.Ordinal);
                if (end < 0) throw new ArgumentException("Unterminated /* comment in SQL.", nameof(sql));
                i = CopyUpTo(sql, i, end + 2, text);
            }
            else if (c == '$')
            {
                throw new ArgumentException($"'$' at offset {i}: the SQL must use named parameters only, without dollar quoting.", nameof(sql));
            }
            else if (c == '@' && IsNameStart(At(sql, i + 1)) && !IsNamePart(At(sql, i - 1)) && At(sql, i - 1) != '@')
            {
                var start = i + 1;
                var end = start;
                while (IsNamePart(At(sql, end))) end++;
                var name = sql[start..end];
                if (!ordinals.TryGetValue(name, out var ordinal)) ordinals[name] = ordinal = ordinals.Count + 1;
                text.Append('$').Append(ordinal);
                i = end;
            }
            else
            {
                text.Append(c);
                i++;
            }
        }

        return new PositionalSql(text.ToString(), ordinals);
    }

    /// <summary>Adds one unnamed parameter per name to <paramref name="parameters"/> (empty) and returns a binder for them.</summary>
    public Binder Bind(NpgsqlParameterCollection parameters)
    {
        if (parameters.Count != 0) throw new InvalidOperationException("Bind a positional statement to an empty parameter collection.");
        for (var i = 0; i < _ordinals.Count; i++) parameters.Add(new NpgsqlParameter());
        return new Binder(this, parameters);
    }

    /// <summary>Sets the positional parameters by the names the SQL was written with.</summary>
    internal readonly struct Binder
    {
        private readonly PositionalSql _sql;
        private readonly NpgsqlParameterCollection _parameters;

        internal Binder(PositionalSql sql, NpgsqlParameterCollection parameters)
        {
            _sql = sql;
            _parameters = parameters;
        }

        public void Set(string name, object value) => Parameter(name).Value = value;

        public void Set(string name, NpgsqlDbType type, object value)
        {
            var parameter = Parameter(name);
            parameter.NpgsqlDbType = type;
            parameter.Value = value;
        }

        private NpgsqlParameter Parameter(string name) =>
            _sql._ordinals.TryGetValue(name, out var ordinal)
                ? _parameters[ordinal - 1]
                : throw new ArgumentException($"The statement has no parameter @{name}.", nameof(name));
    }

    private static int CopyQuoted(string sql, int start, char quote, StringBuilder text)
    {
        // '' (or "") inside is an escaped quote: the loop simply reads it as a closing quote followed by an opening one.
        var end = sql.IndexOf(quote, start + 1);
        if (end < 0) throw new ArgumentException($"Unterminated {quote} in SQL at offset {start}.", nameof(sql));
        return CopyUpTo(sql, start, end + 1, text);
    }

    private static int CopyUpTo(string sql, int start, int end, StringBuilder text)
    {
        text.Append(sql, start, end - start);
        return end;
    }

    private static char At(string sql, int index) => index >= 0 && index < sql.Length ? sql[index] : '\0';

    private static bool IsNameStart(char c) => char.IsAsciiLetter(c) || c == '_';

    private static bool IsNamePart(char c) => char.IsAsciiLetterOrDigit(c) || c == '_';
}
