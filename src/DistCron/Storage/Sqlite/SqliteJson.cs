using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace DistCron.Storage.Sqlite;

/// <summary>
/// The JSON texts the SQLite store passes as single parameters and reads back with <c>json_each</c>. Nothing here
/// uses reflection, so the store works in trimmed and Native AOT apps (the reflection-based serializer is disabled
/// there). Name lists go through the source-generated <see cref="SqliteJsonContext"/>; batch rows are positional
/// arrays of mixed types (<c>value ->> 0</c> … in the SQL), which a contract cannot describe without boxing to
/// <c>object</c>, so they are written with <see cref="Utf8JsonWriter"/>: the same text the serializer wrote.
/// </summary>
internal static class SqliteJson
{
    /// <summary>["a","b",…]</summary>
    public static string Names(IEnumerable<string> names) =>
        JsonSerializer.Serialize(names as string[] ?? names.ToArray(), SqliteJsonContext.Default.StringArray);

    /// <summary>The names a <see cref="Names"/> text holds (an empty array for JSON null).</summary>
    public static string[] ReadNames(string json) =>
        JsonSerializer.Deserialize(json, SqliteJsonContext.Default.StringArray) ?? [];

    /// <summary>
    /// One [name, schedule, timeZone, definitionHash, nextDueAtMs, definitionVersion, disabled, codeHash, declaringType,
    /// methodName, options] row per job (options: the JSON object as text).
    /// </summary>
    public static string SeedBatch(IEnumerable<SeedJob> jobs) => Rows(jobs, static (writer, job) =>
    {
        writer.WriteStringValue(job.Name);
        writer.WriteStringValue(job.Schedule);
        writer.WriteStringValue(job.TimeZone);
        writer.WriteStringValue(job.DefinitionHash);
        WriteNumberOrNull(writer, job.NextDueAt?.ToUnixTimeMilliseconds());
        WriteNumberOrNull(writer, job.DefinitionVersion);
        writer.WriteNumberValue(job.Disabled ? 1 : 0);
        WriteStringOrNull(writer, job.CodeHash);
        WriteStringOrNull(writer, job.Facts?.DeclaringType);
        WriteStringOrNull(writer, job.Facts?.MethodName);
        WriteStringOrNull(writer, job.FactsOptions);
    });

    /// <summary>One [app, jobName, nodeId, fence] row per claim.</summary>
    public static string ClaimBatch(IEnumerable<ClaimToken> claims) => Rows(claims, static (writer, claim) =>
    {
        writer.WriteStringValue(claim.App);
        writer.WriteStringValue(claim.JobName);
        writer.WriteStringValue(claim.NodeId);
        writer.WriteNumberValue(claim.Fence);
    });

    private static string Rows<T>(IEnumerable<T> items, Action<Utf8JsonWriter, T> writeRow)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var item in items)
            {
                writer.WriteStartArray();
                writeRow(writer, item);
                writer.WriteEndArray();
            }

            writer.WriteEndArray();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteStringOrNull(Utf8JsonWriter writer, string? value)
    {
        if (value is null) writer.WriteNullValue();
        else writer.WriteStringValue(value);
    }

    private static void WriteNumberOrNull(Utf8JsonWriter writer, long? value)
    {
        if (value is long number) writer.WriteNumberValue(number);
        else writer.WriteNullValue();
    }
}

/// <summary>Source-generated (reflection-free) JSON contracts of the SQLite store.</summary>
[JsonSerializable(typeof(string[]))]
internal sealed partial class SqliteJsonContext : JsonSerializerContext;
