using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace DistCron.Tests.Engine;

/// <summary>One measurement of a DistCron instrument, with its attributes.</summary>
internal sealed record Reading(string Instrument, double Value, IReadOnlyDictionary<string, object?> Tags)
{
    public object? this[string tag] => Tags.TryGetValue(tag, out var value) ? value : null;
}

/// <summary>
/// A real <see cref="MeterListener"/> on the <c>DistCron</c> meter of one host (its <see cref="IMeterFactory"/>, so
/// parallel tests' hosts are not mixed in): counters and histograms as they are recorded, observable gauges when read.
/// </summary>
internal sealed class MetricsReader : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<Reading> _recorded = new();
    private readonly object _observing = new();
    private List<Reading>? _observed;

    public MetricsReader(IHost host)
    {
        var scope = host.Services.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "DistCron" && ReferenceEquals(instrument.Meter.Scope, scope)) listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Add(i, v, tags));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Add(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Add(i, v, tags));
        _listener.Start();
    }

    private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var reading = new Reading(instrument.Name, value, tags.ToArray().ToDictionary(t => t.Key, t => t.Value));
        if (instrument.IsObservable)
        {
            _observed?.Add(reading); // only while Observe runs, under its lock
            return;
        }

        _recorded.Enqueue(reading);
    }

    /// <summary>Counter and histogram measurements of <paramref name="instrument"/> recorded so far.</summary>
    public IReadOnlyList<Reading> Recorded(string instrument) => _recorded.Where(r => r.Instrument == instrument).ToList();

    /// <summary>The sum of a counter's increments that match <paramref name="where"/>.</summary>
    public double Sum(string instrument, Func<Reading, bool>? where = null) => Recorded(instrument).Where(where ?? (_ => true)).Sum(r => r.Value);

    /// <summary>Reads the observable gauge <paramref name="instrument"/> now, as an exporter's collection would.</summary>
    public IReadOnlyList<Reading> Observe(string instrument)
    {
        lock (_observing)
        {
            _observed = [];
            _listener.RecordObservableInstruments();
            var readings = _observed.Where(r => r.Instrument == instrument).ToList();
            _observed = null;
            return readings;
        }
    }

    public void Dispose() => _listener.Dispose();
}
