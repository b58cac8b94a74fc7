using System.Buffers;
using System.Text.Json;

namespace DistCron.Storage;

/// <summary>
/// A job's declaration as stored beside its definition: <c>declaring_type</c>, <c>method_name</c> and <c>options</c>, a
/// small JSON object (jsonb on PostgreSQL, text on SQLite) written and read here without reflection (trimmed and AOT
/// apps). The object carries the definition hash it was written with: an older DistCron that rewrites the definition
/// leaves these columns as they were, and a reader then finds a hash that is not the row's and reports the facts as
/// unknown instead of showing another definition's options.
/// </summary>
internal static class DefinitionFacts
{
    /// <summary>The key of the definition hash in the options object (the seed's SQL reads it too).</summary>
    public const string HashKey = "definitionHash";

    /// <summary>The facts of a definition, for its seed.</summary>
    public static JobDefinitionInfo Of(JobDefinition definition) =>
        new(definition.DeclaringType, definition.MethodName, definition.Format, definition.Misfire, definition.Timeout,
            definition.RetryDelay, definition.MaxRetries)
        {
            OverriddenBy = definition.OverriddenBy,
        };

    /// <summary>The options object for a definition with this hash.</summary>
    public static string Options(JobDefinitionInfo facts, string definitionHash)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString(HashKey, definitionHash);
            writer.WriteString("format", facts.Format.ToString());
            writer.WriteString("misfire", facts.Misfire.ToString());
            WriteMs(writer, "timeoutMs", facts.Timeout);
            WriteMs(writer, "retryDelayMs", facts.RetryDelay);
            writer.WriteNumber("maxRetries", facts.MaxRetries);
            writer.WriteStartArray("overriddenBy");
            foreach (var key in facts.OverriddenBy) writer.WriteStringValue(key);
            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>
    /// The facts of a row, or null when unknown: a column is missing, the options object is not one this code reads,
    /// or it was written for another definition hash than the row's.
    /// </summary>
    public static JobDefinitionInfo? Read(string? declaringType, string? methodName, string? options, string rowHash)
    {
        if (declaringType is null || methodName is null || options is null) return null;
        try
        {
            using var document = JsonDocument.Parse(options);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty(HashKey, out var hash) || hash.ValueKind != JsonValueKind.String
                || !string.Equals(hash.GetString(), rowHash, StringComparison.Ordinal)
                || !Enum.TryParse<CronFormat>(Text(root, "format"), ignoreCase: false, out var format) || !Enum.IsDefined(format)
                || !Enum.TryParse<MisfirePolicy>(Text(root, "misfire"), ignoreCase: false, out var misfire) || !Enum.IsDefined(misfire)
                || !root.TryGetProperty("maxRetries", out var maxRetries) || maxRetries.ValueKind != JsonValueKind.Number
                || !maxRetries.TryGetInt32(out var retries))
            {
                return null;
            }

            var overriddenBy = root.TryGetProperty("overriddenBy", out var keys) && keys.ValueKind == JsonValueKind.Array
                ? keys.EnumerateArray().Where(k => k.ValueKind == JsonValueKind.String).Select(k => k.GetString()!).ToArray()
                : [];
            return new JobDefinitionInfo(declaringType, methodName, format, misfire, Ms(root, "timeoutMs"), Ms(root, "retryDelayMs"), retries)
            {
                OverriddenBy = overriddenBy,
            };
        }
        catch (Exception e) when (e is JsonException or OverflowException or ArgumentException)
        {
            // A corrupt value (a duration past TimeSpan's range, …) reads as unknown: one bad row must not break every
            // read of the app's jobs (the dashboard, the CLI, the client).
            return null;
        }
    }

    private static string? Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static TimeSpan? Ms(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var ms)
            ? TimeSpan.FromMilliseconds(ms)
            : null;

    private static void WriteMs(Utf8JsonWriter writer, string name, TimeSpan? value)
    {
        if (value is { } span) writer.WriteNumber(name, (long)span.TotalMilliseconds);
        else writer.WriteNull(name);
    }
}
