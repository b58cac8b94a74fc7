using System.Diagnostics.Metrics;
using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using DistCron.Diagnostics;
using Microsoft.Extensions.DependencyInjection;

namespace DistCron.Tests.Docs;

/// <summary>
/// docs/operations.md's metrics reference is the instruments the code creates (name, type, unit, and the name the
/// OpenTelemetry Prometheus exporter gives them), its attributes are the code's, its alert rules name only those
/// series and labels, and its .NET 8 views carry the code's bucket boundaries.
/// </summary>
public sealed partial class MetricsDocTests
{
    private sealed record Row(string Name, string Prometheus, string Type, string Unit, string[] Attributes);

    private static string Section(string heading)
    {
        var text = File.ReadAllText(Path.Combine(MarkdownBlocks.RepositoryRoot, "docs", "operations.md"));
        var section = text[text.IndexOf("\n" + heading + "\n", StringComparison.Ordinal)..];
        var end = section.IndexOf("\n## ", 1, StringComparison.Ordinal);
        return end > 0 ? section[..end] : section;
    }

    private static List<Row> DocumentedRows() => Section("## Metrics").Split('\n')
        .Where(l => l.StartsWith("| `distcron.", StringComparison.Ordinal))
        .Select(l => l.Split('|').Select(c => c.Trim()).ToArray())
        .Select(c => new Row(Unquote(c[1]), Unquote(c[2]), c[3], Unquote(c[4]), Ticked().Matches(c[5]).Select(m => m.Groups[1].Value).ToArray()))
        .ToList();

    private static string Unquote(string cell) => cell.Trim('`');

    private static List<Instrument> CodeInstruments()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var factory = services.GetRequiredService<IMeterFactory>();
        var found = new List<Instrument>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (ReferenceEquals(instrument.Meter.Scope, factory)) found.Add(instrument);
            },
        };
        listener.Start();
        using var metrics = new DistCronMetrics(factory);
        return found;
    }

    private static string TypeOf(Instrument instrument) => instrument.GetType().Name switch
    {
        var n when n.StartsWith("Counter", StringComparison.Ordinal) => "counter",
        var n when n.StartsWith("Histogram", StringComparison.Ordinal) => "histogram",
        var n when n.StartsWith("ObservableGauge", StringComparison.Ordinal) => "gauge",
        var n => n,
    };

    // OpenTelemetry's Prometheus exporter: dots to underscores, the unit's word appended unless the name ends with it,
    // annotations ({…}) dropped, counters get _total.
    internal static string PrometheusName(string name, string? unit, string type)
    {
        var prometheus = name.Replace('.', '_');
        var word = unit switch
        {
            "s" => "seconds",
            "ms" => "milliseconds",
            "By" => "bytes",
            null or "" => "",
            _ when unit.StartsWith('{') => "",
            _ => unit,
        };
        if (word.Length > 0 && !prometheus.EndsWith("_" + word, StringComparison.Ordinal)) prometheus += "_" + word;
        return type == "counter" ? prometheus + "_total" : prometheus;
    }

    [Fact]
    public void The_instrument_table_is_the_instruments_the_code_creates()
    {
        var code = CodeInstruments().Select(i => (i.Name, Type: TypeOf(i), Unit: i.Unit ?? "")).OrderBy(i => i.Name, StringComparer.Ordinal).ToList();
        var documented = DocumentedRows().Select(r => (r.Name, r.Type, r.Unit)).OrderBy(i => i.Name, StringComparer.Ordinal).ToList();
        Assert.NotEmpty(code);
        Assert.Equal(code, documented);
    }

    [Fact]
    public void Each_documented_prometheus_name_is_the_exporter_s()
    {
        Assert.All(DocumentedRows(), r => Assert.Equal(PrometheusName(r.Name, r.Unit, r.Type), r.Prometheus));
        Assert.Equal("distcron_run_duration_seconds", PrometheusName("distcron.run.duration", "s", "histogram"));
        Assert.Equal("distcron_claims_lost_total", PrometheusName("distcron.claims.lost", "{claim}", "counter"));
    }

    [Fact]
    public void Documented_attributes_are_the_code_s()
    {
        var known = typeof(TelemetryTags).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!).ToHashSet(StringComparer.Ordinal);
        Assert.All(DocumentedRows().SelectMany(r => r.Attributes), a => Assert.Contains(a, known));
    }

    [Fact]
    public void The_alert_rules_use_only_documented_series_and_labels()
    {
        var rows = DocumentedRows();
        var series = rows.Select(r => r.Prometheus).ToHashSet(StringComparer.Ordinal);
        var labels = rows.SelectMany(r => r.Attributes).Select(a => a.Replace('.', '_')).ToHashSet(StringComparer.Ordinal);
        var rules = Assert.Single(MarkdownBlocks.Read(Path.Combine(MarkdownBlocks.RepositoryRoot, "docs", "operations.md")), b => b.Language == "yaml" && b.Code.Contains("alert: DistCron", StringComparison.Ordinal));
        foreach (var alert in new[] { "MissedRuns", "RepeatedFailures", "StuckRun", "SilentNode", "StoreErrors", "LeaseLosses" })
        {
            Assert.Contains("alert: DistCron" + alert, rules.Code, StringComparison.Ordinal);
        }

        foreach (Match name in PrometheusToken().Matches(rules.Code))
        {
            var token = name.Value;
            var metric = HistogramSuffix().Replace(token, "");
            Assert.True(series.Contains(token) || series.Contains(metric) || labels.Contains(token), $"the alert rules use '{token}', which DistCron does not export");
        }

        Assert.All(LabelToken().Matches(rules.Code).Select(m => m.Groups[1].Value), l => Assert.True(labels.Contains(l) || l == "error_type", $"unknown label '{l}'"));
    }

    [Fact]
    public void The_views_for_net8_carry_the_code_s_bucket_boundaries()
    {
        var view = Assert.Single(MarkdownBlocks.Read(Path.Combine(MarkdownBlocks.RepositoryRoot, "docs", "operations.md")), b => b.Code.Contains("ExplicitBucketHistogramConfiguration", StringComparison.Ordinal));
        var boundaries = ViewBoundaries().Matches(view.Code).ToDictionary(
            m => m.Groups["name"].Value,
            m => m.Groups["values"].Value.Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray());
        Assert.Equal(DistCronMetrics.RunDurationBuckets, boundaries["distcron.run.duration"]);
        Assert.Equal(DistCronMetrics.StartLagBuckets, boundaries["distcron.run.start_lag"]);
        Assert.Equal(DistCronMetrics.StoreOperationBuckets, boundaries["distcron.store.operation.duration"]);
        Assert.Equal(3, boundaries.Count);
    }

#if NET9_0_OR_GREATER
    [Fact]
    public void On_net9_and_later_each_histogram_advises_its_buckets()
    {
        var histograms = CodeInstruments().OfType<Histogram<double>>().ToDictionary(h => h.Name);
        Assert.Equal(DistCronMetrics.RunDurationBuckets, histograms["distcron.run.duration"].Advice!.HistogramBucketBoundaries);
        Assert.Equal(DistCronMetrics.StartLagBuckets, histograms["distcron.run.start_lag"].Advice!.HistogramBucketBoundaries);
        Assert.Equal(DistCronMetrics.StoreOperationBuckets, histograms["distcron.store.operation.duration"].Advice!.HistogramBucketBoundaries);
        Assert.All(histograms.Values, h => Assert.Equal("s", h.Unit));
    }
#endif

    [GeneratedRegex("`([a-z_.]+)`")]
    private static partial Regex Ticked();

    [GeneratedRegex(@"\bdistcron_[a-z_]+")]
    private static partial Regex PrometheusToken();

    [GeneratedRegex("_(bucket|sum|count)$")]
    private static partial Regex HistogramSuffix();

    [GeneratedRegex(@"\$labels\.([a-z_]+)")]
    private static partial Regex LabelToken();

    [GeneratedRegex(@"AddView\(""(?<name>[a-z_.]+)""[^\[]*\[(?<values>[^\]]*)\]")]
    private static partial Regex ViewBoundaries();
}
