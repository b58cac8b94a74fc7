using DistCron.Generators.Tests.Infrastructure;
using DistCron.Internal;
using DistCron.Scheduling;

namespace DistCron.Generators.Tests;

/// <summary>
/// Build time and run time give the same verdict on a time zone id: the analyzer accepts an id (no diagnostic)
/// exactly when the runtime's resolver (<see cref="TimeZoneResolver"/>, which start-up validation and every claim use)
/// resolves it on this host. The rule both apply is <see cref="TimeZoneIds.Normalize"/>: trimmed, "UTC" in any case,
/// an id differing from a known one only in case read as that one, blank refused. Ids outside the table are warnings at build time (a server's tzdata may be newer) and refused here.
/// </summary>
public class TimeZoneParityTests
{
    // (id, verdict at build time): null = accepted, else the diagnostic ID.
    private static readonly (string Id, string? Diagnostic)[] Table =
    {
        ("UTC", null), ("utc", null), ("Utc", null), (" UTC ", null), ("\tutc\n", null),
        ("Europe/Paris", null), (" Europe/Paris ", null), ("Europe/Paris\u00a0", null), ("America/Argentina/Buenos_Aires", null),
        ("US/Eastern", null), ("Etc/GMT+5", null), ("Etc/UTC", null), ("Romance Standard Time", null), (" Tokyo Standard Time ", null),
        ("", "DCRON0018"), (" ", "DCRON0018"), ("\t\n", "DCRON0018"), ("\u00a0", "DCRON0018"), ("\u2028", "DCRON0018"),
        ("europe/paris", null), (" EUROPE/PARIS ", null), ("etc/utc", null), ("romance standard time", null), ("us/eastern", null),
        ("America/New York", "DCRON0003"), ("america/new york", "DCRON0003"), ("Europe/Paris_", "DCRON0003"),
        ("Mars/Olympus_Mons", "DCRON0003"), ("Europe/Paris\0", "DCRON0018"), ("Europe/\u2028Paris", "DCRON0018"),
        ("Europe/Paris\u200b", "DCRON0018"), ("\u202eEurope/Paris", "DCRON0018"), ("Europe/Pa\u0007ris", "DCRON0018"), ("UTC+1", "DCRON0003"), ("U T C", "DCRON0003"), ("Europe\\Paris", "DCRON0003"),
    };

    [Fact]
    public async Task Analyzer_verdict_equals_the_runtime_resolver_verdict_and_the_table()
    {
        var source = new System.Text.StringBuilder("using DistCron;\nnamespace Parity;\npublic static class Jobs\n{\n");
        for (var i = 0; i < Table.Length; i++)
        {
            // One method per line, so a diagnostic's line says which id it belongs to.
            source.Append("    [DistributedCron(\"0 * * * *\", Name = \"z").Append(i).Append("\", TimeZone = ")
                .Append(Microsoft.CodeAnalysis.CSharp.SymbolDisplay.FormatLiteral(Table[i].Id, quote: true))
                .Append(")] public static void M").Append(i).Append("() { }\n");
        }

        source.Append("}\n");
        var diagnostics = await TestCompilation.AnalyzeAsync(TestCompilation.Create("ZoneParity", source.ToString()));
        var byLine = diagnostics.ToLookup(d => d.Location.GetLineSpan().StartLinePosition.Line - 4, d => d.Id);

        var mismatches = new List<string>();
        for (var i = 0; i < Table.Length; i++)
        {
            var (id, expected) = Table[i];
            var analyzer = byLine[i].SingleOrDefault();
            var runtime = TimeZoneResolver.TryResolve(id, out _);
            if (analyzer != expected || runtime != (expected is null))
            {
                mismatches.Add($"'{PrintableText.Printable(id)}': table {expected ?? "accepted"}, analyzer {analyzer ?? "accepted"}, runtime {(runtime ? "accepted" : "refused")}");
            }
        }

        Assert.True(mismatches.Count == 0, string.Join(Environment.NewLine, mismatches));
    }

    [Fact]
    public void Utc_in_any_case_is_the_same_zone_as_the_attribute_default()
    {
        Assert.True(TimeZoneResolver.TryResolve(null, out var byDefault));
        Assert.True(TimeZoneResolver.TryResolve(" utc ", out var written));
        Assert.Same(byDefault, written);
        Assert.Same(TimeZoneInfo.Utc, written);
        Assert.True(TimeZoneResolver.TryResolve(" Europe/Paris ", out var paris));
        Assert.Equal("Europe/Paris", paris.Id);
        // Found by its exact spelling, not through ICU's id conversion (absent under invariant globalization).
        Assert.Equal("Europe/Paris", TimeZoneIds.Normalize(" europe/PARIS "));
        Assert.Equal("Romance Standard Time", TimeZoneIds.Normalize("romance standard time"));
        Assert.Equal("UTC", TimeZoneIds.Normalize("uTc"));
        Assert.Equal("Mars/Base", TimeZoneIds.Normalize(" Mars/Base "));
    }

    [Fact]
    public void The_generated_definition_carries_the_id_as_the_runtime_reads_it()
    {
        var compilation = TestCompilation.Create("ZoneSpelling", """
            using DistCron;
            namespace Z;
            public static class Jobs
            {
                [DistributedCron("0 * * * *", Name = "a", TimeZone = " europe/paris ")] public static void A() { }
                [DistributedCron("0 * * * *", Name = "b", TimeZone = "utc")] public static void B() { }
            }
            """);
        var generated = TestCompilation.GeneratedText(TestCompilation.Generate(compilation).Result)!;
        Assert.Contains("\"Europe/Paris\"", generated);
        Assert.DoesNotContain("europe/paris", generated);
        Assert.DoesNotContain("\"utc\"", generated);
    }
}
