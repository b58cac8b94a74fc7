using System.Text.RegularExpressions;

namespace DistCron.Cli;

/// <summary>
/// The last line of defence before anything is printed: removes the connection string (from <c>--connection</c> or
/// <c>DISTCRON_CONNECTION</c>), its password, and any <c>password=…</c> pair from a message. Messages are written not to
/// contain them in the first place; this catches what a library's exception text or a misplaced argument carries.
/// </summary>
internal static partial class Secrets
{
    private const string Mask = "***";

    /// <summary>The secret texts known from the command line and the environment, longest first.</summary>
    public static IReadOnlyList<string> Collect(IReadOnlyList<string> args, string? environmentConnection)
    {
        var connections = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] == "--connection" && i + 1 < args.Count) connections.Add(args[i + 1]);
            else if (args[i].StartsWith("--connection=", StringComparison.Ordinal)) connections.Add(args[i]["--connection=".Length..]);
        }

        if (!string.IsNullOrWhiteSpace(environmentConnection)) connections.Add(environmentConnection);
        var secrets = new List<string>();
        foreach (var connection in connections.Where(c => c.Length > 0))
        {
            secrets.Add(connection);
            foreach (Match match in PasswordPair().Matches(connection))
            {
                var value = match.Groups["value"].Value.Trim().Trim('\'', '"');
                if (value.Length > 0) secrets.Add(value);
            }
        }

        return secrets.Distinct(StringComparer.Ordinal).OrderByDescending(s => s.Length).ToArray();
    }

    /// <summary><paramref name="text"/> with every known secret and every <c>password=…</c> value masked.</summary>
    public static string Redact(string text, IReadOnlyList<string> secrets)
    {
        foreach (var secret in secrets) text = text.Replace(secret, Mask, StringComparison.Ordinal);
        return PasswordPair().Replace(text, m => m.Groups["key"].Value + "=" + Mask);
    }

    /// <summary>
    /// <paramref name="text"/> with every command-line argument that looks like a connection string replaced: a parser's
    /// message may quote an argument typed in the wrong place.
    /// </summary>
    public static string HideConnectionStrings(string text, IReadOnlyList<string> args)
    {
        foreach (var arg in args.Where(LooksLikeConnectionString).OrderByDescending(a => a.Length))
        {
            text = text.Replace(arg, "(not shown)", StringComparison.Ordinal);
        }

        return text;
    }

    // "--status=failed" is an option, "--connection=Host=…" or "Host=…;…" a connection string.
    private static bool LooksLikeConnectionString(string arg) =>
        arg.Contains(';') || arg.Count(c => c == '=') > (arg.StartsWith("--", StringComparison.Ordinal) ? 1 : 0);

    /// <summary>A user-supplied value for an error message, unless it looks like a connection string.</summary>
    public static string Shown(string value) =>
        value.Contains('=') || value.Contains(';') ? "(not shown: it looks like a connection string)" : value;

    // Npgsql's keys for the password ("Password", "PWD"), any case, up to the next ';'.
    [GeneratedRegex(@"(?<key>\b(?:password|pwd))\s*=\s*(?<value>[^;]*)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex PasswordPair();
}
