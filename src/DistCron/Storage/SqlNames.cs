using System.Text.RegularExpressions;

namespace DistCron.Storage;

/// <summary>
/// Validates every name that reaches SQL text. Values always travel as parameters; only the schema name is ever
/// spliced into SQL, and only after it passed <see cref="ValidateSchema"/>.
/// </summary>
internal static partial class SqlNames
{
    /// <summary>Lower-case letters, digits and underscores, starting with a letter or underscore, at most 63 bytes (PostgreSQL's limit).</summary>
    public static string ValidateSchema(string? schema)
    {
        if (string.IsNullOrEmpty(schema) || schema.Length > 63 || !SchemaPattern().IsMatch(schema))
        {
            throw new ArgumentException(
                $"The DistCron schema name '{Printable(schema)}' is invalid: use 1-63 characters from a-z, 0-9 and '_', starting with a letter or '_'.",
                nameof(schema));
        }

        return schema;
    }

    /// <summary>An application name isolates several applications in one database: 1-100 characters from <c>[A-Za-z0-9._:-]</c>.</summary>
    public static string ValidateApp(string? app)
    {
        if (string.IsNullOrEmpty(app) || app.Length > 100 || !AppPattern().IsMatch(app))
        {
            throw new ArgumentException(
                $"The DistCron application name '{Printable(app)}' is invalid: use 1-100 characters from A-Z, a-z, 0-9 and '.', '_', ':', '-'.",
                nameof(app));
        }

        return app;
    }

    /// <summary>PostgreSQL's identifier limit in bytes (NAMEDATALEN - 1): LISTEN truncates longer names, pg_notify rejects them.</summary>
    internal const int MaxIdentifierBytes = 63;
    private const string ChannelPrefix = "distcron_";

    /// <summary>
    /// The NOTIFY channel of a (validated) schema: <c>distcron_{schema}</c> when that fits PostgreSQL's 63-byte
    /// identifier limit, else the schema's first characters, '_' and 8 hex digits of its SHA-256. Every node derives
    /// the same name from the same schema, and two long schemas sharing a prefix still get different channels.
    /// </summary>
    internal static string NotifyChannel(string schema)
    {
        ValidateSchema(schema);
        if (ChannelPrefix.Length + schema.Length <= MaxIdentifierBytes) return ChannelPrefix + schema;
        var hash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(schema)))[..8].ToLowerInvariant();
        return ChannelPrefix + schema[..(MaxIdentifierBytes - ChannelPrefix.Length - 1 - hash.Length)] + "_" + hash;
    }

    // Shows control and invisible characters as escapes (the rule every DistCron message uses), so a hostile value
    // cannot forge log lines.
    private static string Printable(string? value) => DistCron.Internal.PrintableText.Printable(value, 80);

    // \z, not $: $ also matches before a final "\n", and "distcron\n" would pass (LISTEN and pg_notify would then
    // disagree on the channel).
    [GeneratedRegex(@"\A[a-z_][a-z0-9_]*\z", RegexOptions.CultureInvariant)]
    private static partial Regex SchemaPattern();

    [GeneratedRegex(@"\A[A-Za-z0-9._:-]+\z", RegexOptions.CultureInvariant)]
    private static partial Regex AppPattern();
}
