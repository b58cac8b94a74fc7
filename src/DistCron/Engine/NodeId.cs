using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace DistCron.Engine;

/// <summary>
/// Node ids: unique per process, never just the host name (two processes on one host must never share an owner id,
/// or both would "own" the same claim).
/// </summary>
internal static partial class NodeId
{
    public const int MaxLength = 200;
    private const string RandomAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";

    /// <summary><c>{host}-{pid}-{6 random chars}</c>, restricted to <c>[A-Za-z0-9._-]</c>.</summary>
    public static string Generate(string hostName, int processId)
    {
        var host = Sanitize(hostName);
        if (host.Length > 100) host = host[..100];
        if (host.Length == 0) host = "node";
        return $"{host}-{processId}-{RandomNumberGenerator.GetString(RandomAlphabet, 6)}";
    }

    /// <summary>Generates an id for the current process.</summary>
    public static string ForCurrentProcess() => Generate(Environment.MachineName, Environment.ProcessId);

    /// <summary>Null when <paramref name="nodeId"/> is acceptable, else why not.</summary>
    public static string? Validate(string nodeId)
    {
        if (nodeId.Length is 0 or > MaxLength || !Allowed().IsMatch(nodeId))
        {
            return $"NodeId must be 1-{MaxLength} characters from A-Z, a-z, 0-9 and '.', '_', ':', '-'; leave it null to generate a unique id per process.";
        }

        return null;
    }

    private static string Sanitize(string value)
    {
        var builder = new StringBuilder(value.Length);
        foreach (var c in value)
        {
            builder.Append(c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '.' or '_' or '-' ? c : '-');
        }

        return builder.ToString().Trim('-');
    }

    // \z, not $: $ also matches before a final "\n".
    [GeneratedRegex(@"\A[A-Za-z0-9._:-]+\z", RegexOptions.CultureInvariant)]
    private static partial Regex Allowed();
}
