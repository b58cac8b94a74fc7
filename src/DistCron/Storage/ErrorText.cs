namespace DistCron.Storage;

/// <summary>
/// The one rule for the error text every store writes (a run's error type and message, a job's <c>last_error</c>, the
/// reason a job is marked errored), so both stores keep exactly the same text.
/// </summary>
/// <remarks>
/// Exception text is arbitrary. PostgreSQL rejects NUL in text and Npgsql's strict UTF-8 encoder rejects a lone
/// surrogate: either would make the completion itself fail, and the run be repeated. Both become U+FFFD on every store,
/// so what a user reads does not depend on the store. Long text is cut (marked with '…') without splitting a surrogate
/// pair: a stack trace in a message must not bloat every history row.
/// </remarks>
internal static class ErrorText
{
    /// <summary>Longest error message or reason stored, the '…' that marks a cut included.</summary>
    internal const int MaxMessageLength = 2000;

    /// <summary>Longest error type stored, the '…' that marks a cut included.</summary>
    internal const int MaxTypeLength = 500;

    private const char Replacement = '\uFFFD';
    private const string CutMarker = "…";

    /// <summary>An error message or a reason, cleaned and capped.</summary>
    internal static string? Message(string? message) => Clean(message, MaxMessageLength);

    /// <summary>An error type name, cleaned and capped.</summary>
    internal static string? Type(string? type) => Clean(type, MaxTypeLength);

    /// <summary>
    /// A job's <c>last_error</c>: the message, or the error type when the message is missing or blank, since an
    /// operator reading a failed job's row should see something (an exception with an empty message still has a type).
    /// </summary>
    internal static string? LastError(string? type, string? message) =>
        string.IsNullOrWhiteSpace(message) ? Type(type) ?? Message(message) : Message(message);

    /// <summary>NUL and lone surrogates become U+FFFD; text longer than <paramref name="max"/> is cut to fit with '…'.</summary>
    internal static string? Clean(string? value, int max)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 2);
        if (value is null) return null;
        if (NeedsCleaning(value))
        {
            var chars = value.ToCharArray();
            for (var i = 0; i < chars.Length; i++)
            {
                if (char.IsHighSurrogate(chars[i]) && i + 1 < chars.Length && char.IsLowSurrogate(chars[i + 1])) { i++; continue; }
                if (chars[i] == '\0' || char.IsSurrogate(chars[i])) chars[i] = Replacement;
            }

            value = new string(chars);
        }

        if (value.Length <= max) return value;
        // Only whole pairs are left after cleaning: a high surrogate just before the cut starts a pair the cut would split.
        var keep = max - CutMarker.Length;
        if (char.IsHighSurrogate(value[keep - 1])) keep--;
        return string.Concat(value.AsSpan(0, keep), CutMarker);
    }

    private static bool NeedsCleaning(string value)
    {
        foreach (var c in value)
        {
            if (c == '\0' || char.IsSurrogate(c)) return true;
        }

        return false;
    }
}
