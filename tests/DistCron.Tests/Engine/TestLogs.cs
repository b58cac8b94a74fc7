using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace DistCron.Tests.Engine;

/// <summary>
/// Captures every log line of the hosts a test starts, with the values of the scopes around it (read from the
/// factory's shared scope provider, as the console and OpenTelemetry providers do).
/// </summary>
public sealed class TestLogs : ILoggerProvider, ISupportExternalScope
{
    private IExternalScopeProvider? _scopes;

    public sealed record Entry(string Category, LogLevel Level, EventId EventId, string Message, Exception? Exception)
    {
        /// <summary>The key/value pairs of every scope open when the line was logged, innermost last.</summary>
        public IReadOnlyList<KeyValuePair<string, object?>> Scope { get; init; } = [];

        /// <summary>The line's own structured values (a LoggerMessage's parameters), by name.</summary>
        public IReadOnlyDictionary<string, object?> Values { get; init; } = new Dictionary<string, object?>();
    }

    public ConcurrentQueue<Entry> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public bool Has(int eventId) => Entries.Any(e => e.EventId.Id == eventId && e.Category.StartsWith("DistCron", StringComparison.Ordinal));

    public string Dump() => string.Join(Environment.NewLine, Entries.Select(e => $"{e.Level} {e.Category}[{e.EventId.Id}] {e.Message} {e.Exception?.GetType().Name}"));

    public void Dispose()
    {
    }

    private List<KeyValuePair<string, object?>> OpenScopes()
    {
        var values = new List<KeyValuePair<string, object?>>();
        _scopes?.ForEachScope(static (scope, list) =>
        {
            if (scope is IEnumerable<KeyValuePair<string, object?>> pairs) list.AddRange(pairs);
        }, values);
        return values;
    }

    private sealed class Logger(TestLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => owner._scopes?.Push(state);

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Entries.Enqueue(new Entry(category, logLevel, eventId, formatter(state, exception), exception)
            {
                Scope = owner.OpenScopes(),
                Values = state is IEnumerable<KeyValuePair<string, object?>> pairs
                    ? pairs.GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.Last().Value)
                    : new Dictionary<string, object?>(),
            });
    }
}
