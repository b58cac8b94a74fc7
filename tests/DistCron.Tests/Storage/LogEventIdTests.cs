using System.Reflection;
using DistCron.Storage;
using Microsoft.Extensions.Logging;

namespace DistCron.Tests.Storage;

/// <summary>
/// Every [LoggerMessage] of the DistCron assembly has its own event id, so a log filter or an alert on an id means one
/// message (the SQLite store once reused the engine's 1-4). The ranges are listed in Diagnostics/Log.cs.
/// </summary>
public sealed class LogEventIdTests
{
    private static IReadOnlyList<(string Method, int EventId)> LogMethods() =>
        typeof(IJobStore).Assembly.GetTypes()
            .SelectMany(type => type.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            .Select(method => (Method: method, Attribute: method.GetCustomAttribute<LoggerMessageAttribute>()))
            .Where(m => m.Attribute is not null)
            .Select(m => ($"{m.Method.DeclaringType!.FullName}.{m.Method.Name}", m.Attribute!.EventId))
            .ToArray();

    [Fact]
    public void Every_logger_message_has_an_explicit_positive_event_id()
    {
        var methods = LogMethods();
        Assert.True(methods.Count >= 30, $"only {methods.Count} [LoggerMessage] methods found: is the reflection looking at the right assembly?");
        Assert.All(methods, m => Assert.True(m.EventId > 0, $"{m.Method} has no explicit event id"));
    }

    [Fact]
    public void Event_ids_are_unique_across_the_assembly()
    {
        var clashes = LogMethods().GroupBy(m => m.EventId).Where(g => g.Count() > 1)
            .Select(g => $"{g.Key}: {string.Join(", ", g.Select(m => m.Method))}").ToArray();
        Assert.True(clashes.Length == 0, "Event ids used more than once:\n" + string.Join("\n", clashes));
    }
}
