using System.Text.Json.Nodes;
using DistCron.Json;

namespace DistCron.Cli;

/// <summary>
/// The <c>--json</c> errors: documents too, <c>{"formatVersion":1,"error":{…}}</c>. Every other document is written by
/// <see cref="JsonContract"/>, the contract the dashboard's HTTP API shares.
/// </summary>
internal static class JsonOutput
{
    public static string Error(int exitCode, string message, IReadOnlyList<string>? apps)
    {
        var error = new JsonObject { ["code"] = ExitCodes.Name(exitCode), ["exitCode"] = exitCode, ["message"] = message };
        if (apps is not null) error["apps"] = new JsonArray(apps.Select(a => (JsonNode?)JsonValue.Create(a)).ToArray());
        return new JsonObject { ["formatVersion"] = JsonContract.FormatVersion, ["error"] = error }.ToJsonString(JsonContract.Options);
    }
}
