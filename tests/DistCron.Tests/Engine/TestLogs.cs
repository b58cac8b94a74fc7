using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace DistCron.Tests.Engine;

/// <summary>Captures every log line of the hosts a test starts.</summary>
public sealed class TestLogs : ILoggerProvider
{
    public sealed record Entry(string Category, LogLevel Level, EventId EventId, string Message, Exception? Exception);

    public ConcurrentQueue<Entry> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public bool Has(int eventId) => Entries.Any(e => e.EventId.Id == eventId && e.Category.StartsWith("DistCron", StringComparison.Ordinal));

    public string Dump() => string.Join(Environment.NewLine, Entries.Select(e => $"{e.Level} {e.Category}[{e.EventId.Id}] {e.Message} {e.Exception?.GetType().Name}"));

    public void Dispose()
    {
    }

    private sealed class Logger(TestLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Entries.Enqueue(new Entry(category, logLevel, eventId, formatter(state, exception), exception));
    }
}
