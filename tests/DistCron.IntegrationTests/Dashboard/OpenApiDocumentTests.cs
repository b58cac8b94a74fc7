using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DistCron.Dashboard;
using DistCron.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace DistCron.Tests.Dashboard;

/// <summary>
/// The served OpenAPI document (<c>api/openapi.json</c>) against a real Kestrel host over a real SQLite file with data:
/// its paths are exactly the API endpoints the route group maps, and every answer of every endpoint, for every status
/// the document lists, matches its schema: every documented property present, none undocumented, types, formats and
/// enums as documented, and every property seen with a value at least once. A field added to the JSON contract
/// without the document (or the other way round) fails here.
/// </summary>
/// <remarks>
/// A new field of a document: add it to its schema's <c>properties</c> and <c>required</c> in
/// src/DistCron.Dashboard/Api/openapi.json (nullable: <c>"nullable": true</c>); when the seeded data never gives it a
/// value, give it one (<see cref="PrepareAsync"/> or DashboardTestBase). A new endpoint: its path, operation and
/// response schemas in openapi.json, and one <c>Call</c> below for each status the document lists for it.
/// </remarks>
public sealed class OpenApiDocumentTests : DashboardTestBase
{
    /// <summary>Runs for the document's sake: <c>every5</c> holds a live lease, the script-named job is errored.</summary>
    private const string Running = "every5";

    [Fact]
    public async Task The_document_lists_exactly_the_api_endpoints_the_route_group_maps()
    {
        await using var host = await TestUsers.StartAsync(DatabasePath, App);
        var document = await DocumentAsync(host);

        var mapped = host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<DashboardRoute>() is not null)
            .ToList();
        var api = mapped
            .Where(e => e.Metadata.GetMetadata<DashboardRoute>()!.Pattern.StartsWith("/api/", StringComparison.Ordinal))
            .SelectMany(e => e.Metadata.GetMetadata<IHttpMethodMetadata>()!.HttpMethods.Select(m => $"{m} {e.Metadata.GetMetadata<DashboardRoute>()!.Pattern}"))
            .Order(StringComparer.Ordinal);
        var documented = Operations(document).Select(o => $"{o.Method.ToUpperInvariant()} {o.Path}").Order(StringComparer.Ordinal);
        Assert.Equal(api, documented);
        // The pages, the event stream and the assets are mapped by the same group and are not in the document.
        Assert.Contains(mapped, e => e.Metadata.GetMetadata<DashboardRoute>()!.Pattern == "/events");
    }

    [Fact]
    public async Task Every_answer_of_every_endpoint_matches_its_documented_schema_and_status()
    {
        await PrepareAsync();
        await using var host = await TestUsers.StartAsync(DatabasePath, App);
        await using var readOnly = await DashboardHost.StartAsync(DatabasePath, App, DashboardHost.Anonymous(), configure: b => b.Services.AddAntiforgery());
        var document = await DocumentAsync(host);
        var walker = new SchemaWalker(document);
        var answered = new HashSet<string>(StringComparer.Ordinal);
        var escapedEvil = Uri.EscapeDataString(Evil);
        var until = (await Store.GetDatabaseTimeAsync(Ct)).AddHours(1).UtcDateTime.ToString("O");

        async Task<JsonNode?> Call(DashboardHost on, string? user, HttpMethod method, string template, string path, HttpStatusCode expected, string? body = null, (string Name, string Value)? header = null)
        {
            using var request = new HttpRequestMessage(method, path.TrimStart('/'));
            if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, "application/json");
            if (header is { } h) request.Headers.Add(h.Name, h.Value);
            var (response, text) = await TestUsers.SendAsync(on, request, user);
            Assert.True(response.StatusCode == expected, $"{method} {path}: {(int)response.StatusCode}, expected {(int)expected}\n{text}");
            Assert.True(Matches(template, path.Split('?')[0]), $"{path} is not an address of {template}");
            var operation = document["paths"]?[template.Replace("/distcron", "", StringComparison.Ordinal)]?[method.Method.ToLowerInvariant()]?.AsObject();
            Assert.True(operation is not null, $"{method} {template} is not in the document");
            var status = ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
            var documented = walker.Resolve(operation["responses"]?[status]);
            Assert.True(documented is not null, $"{method} {template} answered {status}, which the document does not list");
            answered.Add($"{method.Method.ToLowerInvariant()} {template.Replace("/distcron", "", StringComparison.Ordinal)} {status}");
            if (text.Length == 0)
            {
                // Only the app's authorization middleware answers without a body, and only with 403 (documented as such).
                Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
                return null;
            }

            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
            var json = JsonNode.Parse(text);
            walker.Walk(json, documented["content"]!["application/json"]!["schema"]!.AsObject(), $"{method} {path} {status}");
            return json;
        }

        const string jobs = "/distcron/api/jobs", job = "/distcron/api/jobs/{name}", history = "/distcron/api/jobs/{name}/history";
        const string act = "/distcron/api/jobs/{name}/{action}", antiforgery = "/distcron/api/antiforgery", audit = "/distcron/api/audit";
        var (reader, writer) = (TestUsers.Reader, TestUsers.Writer);

        await Call(host, reader, HttpMethod.Get, "/distcron/api/openapi.json", "/distcron/api/openapi.json", HttpStatusCode.OK);
        await Call(host, reader, HttpMethod.Get, jobs, jobs, HttpStatusCode.OK);
        await Call(host, reader, HttpMethod.Get, jobs, jobs + "?limit=2&sort=name", HttpStatusCode.OK);
        await Call(host, reader, HttpMethod.Get, jobs, jobs + "?state=exploded", HttpStatusCode.BadRequest);
        await Call(host, reader, HttpMethod.Get, job, "/distcron/api/jobs/" + Running, HttpStatusCode.OK);
        await Call(host, reader, HttpMethod.Get, job, "/distcron/api/jobs/" + escapedEvil, HttpStatusCode.OK);
        await Call(host, reader, HttpMethod.Get, job, "/distcron/api/jobs/no-such-job", HttpStatusCode.NotFound);
        var page = await Call(host, reader, HttpMethod.Get, history, "/distcron/api/jobs/nightly/history?limit=1", HttpStatusCode.OK);
        Assert.NotNull(page!["nextBefore"]);
        await Call(host, reader, HttpMethod.Get, history, "/distcron/api/jobs/nightly/history?status=failed", HttpStatusCode.OK);
        await Call(host, reader, HttpMethod.Get, history, "/distcron/api/jobs/nightly/history?before=x", HttpStatusCode.BadRequest);
        await Call(host, reader, HttpMethod.Get, history, "/distcron/api/jobs/no-such-job/history", HttpStatusCode.NotFound);
        await Call(host, reader, HttpMethod.Get, "/distcron/api/nodes", "/distcron/api/nodes", HttpStatusCode.OK);
        const string stats = "/distcron/api/jobs/{name}/stats";
        await Call(host, reader, HttpMethod.Get, "/distcron/api/stats", "/distcron/api/stats", HttpStatusCode.OK);
        await Call(host, reader, HttpMethod.Get, stats, "/distcron/api/jobs/nightly/stats", HttpStatusCode.OK);
        await Call(host, reader, HttpMethod.Get, stats, "/distcron/api/jobs/nightly/stats?runs=0", HttpStatusCode.BadRequest);
        await Call(host, reader, HttpMethod.Get, stats, "/distcron/api/jobs/no-such-job/stats", HttpStatusCode.NotFound);
        await Call(host, reader, HttpMethod.Get, audit, audit + "?limit=0", HttpStatusCode.BadRequest);
        // A reader fails the actions policy: the authorization middleware refuses before the handler runs.
        await Call(host, reader, HttpMethod.Get, antiforgery, antiforgery, HttpStatusCode.Forbidden);
        await Call(host, reader, HttpMethod.Post, act, "/distcron/api/jobs/nightly/trigger", HttpStatusCode.Forbidden);
        // Actions off: the handlers refuse with the JSON error.
        await Call(readOnly, null, HttpMethod.Get, antiforgery, antiforgery, HttpStatusCode.Forbidden);
        await Call(readOnly, null, HttpMethod.Post, act, "/distcron/api/jobs/nightly/pause", HttpStatusCode.Forbidden, """{"reason":"x"}""");

        var token = (await Call(host, writer, HttpMethod.Get, antiforgery, antiforgery, HttpStatusCode.OK))!;
        var withToken = ((string)token["headerName"]!, (string)token["token"]!);
        await Call(host, writer, HttpMethod.Post, act, "/distcron/api/jobs/nightly/trigger", HttpStatusCode.BadRequest); // no token
        await Call(host, writer, HttpMethod.Post, act, "/distcron/api/jobs/nightly/pause", HttpStatusCode.BadRequest, """{"until":"tomorrow"}""", withToken);
        await Call(host, writer, HttpMethod.Post, act, "/distcron/api/jobs/nightly/pause", HttpStatusCode.BadRequest, "not json", withToken);
        await Call(host, writer, HttpMethod.Post, act, "/distcron/api/jobs/nightly/explode", HttpStatusCode.NotFound, null, withToken);
        await Call(host, writer, HttpMethod.Post, act, "/distcron/api/jobs/no-such-job/trigger", HttpStatusCode.NotFound, null, withToken);
        await Call(host, writer, HttpMethod.Post, act, $"/distcron/api/jobs/{escapedEvil}/trigger", HttpStatusCode.Conflict, null, withToken); // errored
        var paused = (await Call(host, writer, HttpMethod.Post, act, "/distcron/api/jobs/nightly/pause", HttpStatusCode.OK, $$"""{"reason":"maintenance","until":"{{until}}"}""", withToken))!;
        Assert.Equal("maintenance", (string)paused["job"]!["pauseReason"]!);
        await Call(host, writer, HttpMethod.Post, act, "/distcron/api/jobs/paused-job/resume", HttpStatusCode.OK, """{"reason":"done"}""", withToken);
        await Call(host, writer, HttpMethod.Post, act, "/distcron/api/jobs/nightly/trigger", HttpStatusCode.OK, null, withToken);
        await Call(host, reader, HttpMethod.Get, jobs, jobs, HttpStatusCode.OK);
        var rows = await Call(host, reader, HttpMethod.Get, audit, audit + "?limit=1", HttpStatusCode.OK);
        Assert.NotNull(rows!["nextBefore"]);
        await Call(host, reader, HttpMethod.Get, audit, audit + "?job=nightly", HttpStatusCode.OK);

        // Every status the document promises was answered, and every property was seen with a value.
        var promised = Operations(document)
            .SelectMany(o => o.Operation["responses"]!.AsObject().Select(r => $"{o.Method} {o.Path} {r.Key}"))
            .Order(StringComparer.Ordinal);
        Assert.Equal(promised, answered.Order(StringComparer.Ordinal));
        var unseen = walker.Properties().Except(walker.SeenWithValue).Order(StringComparer.Ordinal).ToList();
        Assert.True(unseen.Count == 0, $"documented properties never seen with a value (give the test data that fills them): {string.Join(", ", unseen)}");
    }

    [Fact]
    public async Task The_served_document_names_where_the_dashboard_is_mounted_under_the_path_base()
    {
        await using var host = await DashboardHost.StartAsync(DatabasePath, App, web =>
        {
            web.UsePathBase("/ops");
            web.MapDistCronDashboard("/dash").AllowAnonymous();
        });
        var document = JsonNode.Parse(await host.GetOkAsync("/ops/dash/api/openapi.json"))!;
        Assert.Equal("/ops/dash", (string)document["servers"]![0]!["url"]!);
        Assert.Equal("3.0.3", (string)document["openapi"]!);
        // The server URL and a documented path make the address that answers.
        Assert.Equal(HttpStatusCode.OK, (await host.GetAsync((string)document["servers"]![0]!["url"]! + "/api/nodes")).Response.StatusCode);

        await using var root = await DashboardHost.StartAsync(DatabasePath, App, web => web.MapDistCronDashboard("/").AllowAnonymous());
        Assert.Equal("/", (string)JsonNode.Parse(await root.GetOkAsync("/api/openapi.json"))!["servers"]![0]!["url"]!);
    }

    [Fact]
    public void Every_reference_in_the_embedded_document_resolves()
    {
        using var stream = typeof(DistCronDashboardOptions).Assembly.GetManifestResourceStream("DistCron.Dashboard.Api.openapi.json");
        Assert.NotNull(stream);
        var document = JsonNode.Parse(stream)!;
        var walker = new SchemaWalker(document);
        var references = new List<string>();
        void Collect(JsonNode? node)
        {
            if (node is JsonObject o)
            {
                foreach (var (key, value) in o)
                {
                    if (key == "$ref") references.Add((string)value!);
                    else Collect(value);
                }
            }
            else if (node is JsonArray a) foreach (var item in a) Collect(item);
        }

        Collect(document);
        Assert.NotEmpty(references);
        Assert.All(references, r => Assert.NotNull(walker.Resolve(new JsonObject { ["$ref"] = r })));
    }

    // ---------------------------------------------------------------- data, document and matching

    /// <summary>Gives every nullable field a value somewhere: a live lease on <see cref="Running"/>, an errored job.</summary>
    private async Task PrepareAsync()
    {
        // every5 has a pending trigger: it is the only claimable job; its lease outlives the test.
        var claim = Assert.Single((await Store.ClaimDueAsync(new ClaimRequest(App, "node-a", 1, TimeSpan.FromMinutes(10)), Ct)).Claimed);
        Assert.Equal(Running, claim.Token.JobName);
        Assert.True(await Store.TriggerAsync(App, Evil, Ct));
        var broken = Assert.Single((await Store.ClaimDueAsync(new ClaimRequest(App, "node-a", 1, TimeSpan.FromMinutes(1)), Ct)).Claimed);
        Assert.Equal(Evil, broken.Token.JobName);
        await Store.MarkErroredAsync(broken.Token, "time zone 'Mars/Olympus' is unknown", Ct);
        // A job written by a node with a DeploymentVersion, so definitionVersion is seen with a value.
        var due = (await Store.GetDatabaseTimeAsync(Ct)).AddDays(1);
        await Store.SeedAsync(App, [new SeedJob("versioned", "0 5 * * *", "UTC", "h5", due, DefinitionVersion: 42)], Ct);
    }

    private static async Task<JsonNode> DocumentAsync(DashboardHost host)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "distcron/api/openapi.json");
        var (response, body) = await TestUsers.SendAsync(host, request, TestUsers.Reader);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var document = JsonNode.Parse(body)!;
        Assert.Equal("/distcron", (string)document["servers"]![0]!["url"]!);
        return document;
    }

    private static IEnumerable<(string Path, string Method, JsonObject Operation)> Operations(JsonNode document) =>
        document["paths"]!.AsObject().SelectMany(p => p.Value!.AsObject().Select(m => (p.Key, m.Key, m.Value!.AsObject())));

    // A path template's {parameter} matches one segment.
    private static bool Matches(string template, string path)
    {
        var (t, p) = (template.Split('/'), path.Split('/'));
        return t.Length == p.Length && t.Zip(p).All(s => s.First.StartsWith('{') || s.First == s.Second);
    }

    /// <summary>
    /// Walks a JSON value against an OpenAPI 3.0 schema: $ref, allOf, nullable, object (every documented property
    /// required and present, nothing undocumented), array, string (date-time format, enum), integer, number, boolean.
    /// </summary>
    private sealed class SchemaWalker(JsonNode document)
    {
        public HashSet<string> SeenWithValue { get; } = new(StringComparer.Ordinal);

        /// <summary>Follows a <c>$ref</c> within the document (null when it does not resolve).</summary>
        public JsonObject? Resolve(JsonNode? node)
        {
            while (node is JsonObject o && o["$ref"] is { } reference)
            {
                var path = ((string)reference!).TrimStart('#').Split('/', StringSplitOptions.RemoveEmptyEntries);
                node = path.Aggregate((JsonNode?)document, (n, key) => n?[key]);
            }

            return node as JsonObject;
        }

        /// <summary>"Schema.property" for every property of every response schema (inline objects as Schema.property.inner).</summary>
        public IEnumerable<string> Properties()
        {
            foreach (var (name, schema) in document["components"]!["schemas"]!.AsObject())
            {
                if (name == "ActionBody") continue; // a request body: the endpoint reads it, never writes it
                foreach (var property in Properties(schema!.AsObject(), name)) yield return property;
            }
        }

        private static IEnumerable<string> Properties(JsonObject schema, string name)
        {
            if (schema["properties"] is not JsonObject properties) yield break;
            foreach (var (key, value) in properties)
            {
                yield return $"{name}.{key}";
                if (value is JsonObject inner && inner["properties"] is not null)
                {
                    foreach (var nested in Properties(inner, $"{name}.{key}")) yield return nested;
                }
            }
        }

        public void Walk(JsonNode? value, JsonObject schema, string where) => Walk(value, schema, where, null);

        private void Walk(JsonNode? value, JsonObject schema, string where, string? name)
        {
            if (schema["$ref"] is { } reference)
            {
                name = ((string)reference!).Split('/')[^1];
                schema = Resolve(schema) ?? throw new Xunit.Sdk.XunitException($"{where}: {reference} does not resolve");
            }

            if (value is null)
            {
                Assert.True(schema["nullable"]?.GetValue<bool>() == true, $"{where}: null, but the schema does not allow null");
                return;
            }

            if (schema["allOf"] is JsonArray all)
            {
                foreach (var part in all) Walk(value, part!.AsObject(), where, name);
                return;
            }

            var type = (string?)schema["type"];
            switch (type)
            {
                case "object":
                    var actual = Assert.IsType<JsonObject>(value);
                    if (schema["properties"] is not JsonObject properties) return; // free-form
                    var required = schema["required"]?.AsArray().Select(r => (string)r!).ToHashSet() ?? [];
                    Assert.True(required.SetEquals(properties.Select(p => p.Key)), $"{where}: {name} must list every property as required (the contract writes every field, null or not)");
                    foreach (var (key, _) in actual) Assert.True(properties.ContainsKey(key), $"{where}: property '{key}' of {name} is not documented");
                    foreach (var (key, propertySchema) in properties)
                    {
                        Assert.True(actual.ContainsKey(key), $"{where}: documented property '{key}' of {name} is missing");
                        if (actual[key] is not null && name is not null) SeenWithValue.Add($"{name}.{key}");
                        var inline = propertySchema!["$ref"] is null && propertySchema["allOf"] is null;
                        Walk(actual[key], propertySchema.AsObject(), $"{where}: {key}", inline && name is not null ? $"{name}.{key}" : null);
                    }

                    break;
                case "array":
                    foreach (var item in Assert.IsType<JsonArray>(value)) Walk(item, schema["items"]!.AsObject(), where + "[]", null);
                    break;
                case "string":
                    Assert.True(value.GetValueKind() == JsonValueKind.String, $"{where}: {value.ToJsonString()} is not a string");
                    var text = value.GetValue<string>();
                    if ((string?)schema["format"] == "date-time")
                    {
                        Assert.True(DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out _) && text.EndsWith('Z'),
                            $"{where}: '{text}' is not a UTC date-time");
                    }

                    break;
                case "integer":
                    Assert.True(value.GetValueKind() == JsonValueKind.Number && value.AsValue().TryGetValue<long>(out _), $"{where}: {value.ToJsonString()} is not an integer");
                    break;
                case "number":
                    Assert.True(value.GetValueKind() == JsonValueKind.Number, $"{where}: {value.ToJsonString()} is not a number");
                    break;
                case "boolean":
                    Assert.True(value.GetValueKind() is JsonValueKind.True or JsonValueKind.False, $"{where}: {value.ToJsonString()} is not a boolean");
                    break;
                default:
                    throw new Xunit.Sdk.XunitException($"{where}: the schema has no type the walker knows ('{type}')");
            }

            if (schema["enum"] is JsonArray choices)
            {
                Assert.True(choices.Any(c => JsonNode.DeepEquals(c, value)), $"{where}: {value.ToJsonString()} is not one of {choices.ToJsonString()}");
            }
        }
    }
}
