using DistCron.Generators.Tests.Infrastructure;
using DistCron.Internal;

namespace DistCron.Generators.Tests;

/// <summary>
/// The build-time verdict (the analyzer's DCRON0001, or its absence) equals the run-time verdict
/// (<see cref="ScheduleText.Parse"/> as compiled into the runtime assembly, which hands the text to Cronos) for a
/// table of expressions, valid and invalid, covering L W # ? H, macros, names, reversed ranges and steps. For plain
/// cron text (no H, no macro) the verdict also equals Cronos's own, with the format chosen by field count.
/// </summary>
public class ScheduleParityTests
{
    // (expression, valid) — the expected verdict is written down, so a change in either side shows up here.
    private static readonly (string Expression, bool Valid)[] Table =
    {
        // Five fields, minute precision.
        ("* * * * *", true), ("0 * * * *", true), ("*/5 * * * *", true), ("0 0 * * *", true), ("0 0 1 * *", true),
        ("0 0 1 1 *", true), ("59 23 31 12 *", true), ("0 0 29 2 *", true), ("0 0 31 * *", true), ("0 0 30 2 *", true),
        ("0 9 * * MON-FRI", true), ("0 9 * * 1-5", true), ("0 9 * * 0", true), ("0 9 * * 7", true), ("0 9 * * SUN", true),
        ("0 9 * * sun", true), ("0 12 * * MON,WED,FRI", true), ("0 0 * JAN-MAR *", true), ("0 0 * jan,jul *", true),
        ("0 0 1,15 * *", true), ("0-30/10 * * * *", true), ("5/15 * * * *", true), ("*/15 9-17 * * 1-5", true),
        ("  0 * * * *  ", true), ("0\t*\t*\t*\t*", true),
        // Reversed ranges (Cronos reads them as wrapping around).
        ("5-1 * * * *", true), ("0 22-2 * * *", true), ("0 0 * * FRI-MON", true), ("0 0 * NOV-FEB *", true),
        // L W # ?
        ("0 0 L * *", true), ("0 0 L-3 * *", true), ("0 0 LW * *", true), ("0 0 15W * *", true), ("0 0 1W * *", true),
        ("0 0 * * 5L", true), ("0 0 * * 5#3", true), ("0 0 * * FRI#3", true), ("0 0 ? * MON", true), ("0 0 1 * ?", true),
        ("0 0 ? * ?", true), ("0 0 32W * *", false), ("0 0 * * 5#6", false), ("0 0 * * 8#1", false), ("0 0 * * #3", false),
        ("0 0 L-31 * *", false), ("0 0 ? ? *", true), ("0 0 W * *", false),
        // Six fields, seconds first.
        ("* * * * * *", true), ("0 * * * * *", true), ("*/10 * * * * *", true), ("30 0 9 * * MON-FRI", true),
        ("0 0 12 ? * MON", true), ("0 0 0 L * ?", true), ("15,45 * * * * *", true), ("0 30 9 1W * *", true),
        ("60 * * * * *", false), ("* 60 * * * *", false), ("0 0 0 0 * *", false), ("0 30 9 * * 2025", false),
        ("0 12 1 JAN * *", false), ("0 0 12 ? * 2-6", true),
        // Macros.
        ("@hourly", true), ("@daily", true), ("@midnight", true), ("@weekly", true), ("@monthly", true), ("@yearly", true),
        ("@annually", true), ("@every_minute", true), ("@every_second", true), ("@HOURLY", true),
        ("@reboot", false), ("@fortnightly", false), ("@", false), ("@every_hour", false),
        // H, seeded by the job name.
        ("H * * * *", true), ("H H * * *", true), ("H/15 * * * *", true), ("H(0-29) * * * *", true), ("H(0-29)/10 * * * *", true),
        ("H H(0-5) * * *", true), ("H H * * H", true), ("H H H * *", true), ("H H H H *", true), ("H * * * * *", true),
        ("0 H * * * *", true), ("H,30 * * * *", true), ("h * * * *", true),
        ("H(5-1) * * * *", false), ("H(0-60) * * * *", false), ("HH * * * *", false), ("H-5 * * * *", false), ("H/0 * * * *", false),
        ("H( * * * *", false), ("H(0-5 * * * *", false),
        // Wrong field counts and plain errors.
        ("", false), ("   ", false), ("*", false), ("* * * *", false), ("* * * * * * *", false), ("0 0 12 ? * MON 2024", false),
        ("* * * * * * * *", false), ("60 * * * *", false), ("61 * * * *", false), ("-1 * * * *", false), ("* 24 * * *", false),
        ("* * 0 * *", false), ("* * 32 * *", false), ("* * * 0 *", false), ("* * * 13 *", false), ("* * * * 8", false),
        ("*/0 * * * *", false), ("abc * * * *", false), ("0 0 * * FOO", false), ("0 0 * JANUARY *", false), ("1-60 * * * *", false),
        ("5-70 * * * *", false), ("1,2,,3 * * * *", false), ("*/ * * * *", false), ("0 0 * * MON-", false), ("0,60 * * * *", false),
        ("0 0 1-31/0 * *", false), ("0 0 * * 1/0", false), ("* * * * * ?", true), ("0 0 L L *", false),
    };

    [Fact]
    public void The_table_is_large_and_mixed()
    {
        Assert.True(Table.Length >= 100, $"only {Table.Length} expressions");
        Assert.Contains(Table, t => t.Valid);
        Assert.Contains(Table, t => !t.Valid);
        Assert.Equal(Table.Length, Table.Select(t => t.Expression).Distinct().Count());
    }

    [Fact]
    public async Task Analyzer_verdict_equals_runtime_verdict_and_the_table()
    {
        var source = new System.Text.StringBuilder("using DistCron;\nnamespace Parity;\npublic static class Jobs\n{\n");
        for (var i = 0; i < Table.Length; i++)
        {
            // One method per line, so a diagnostic's line says which expression it belongs to.
            source.Append("    [DistributedCron(").Append(Microsoft.CodeAnalysis.CSharp.SymbolDisplay.FormatLiteral(Table[i].Expression, quote: true))
                .Append(", Name = \"p").Append(i).Append("\")] public static void M").Append(i).Append("() { }\n");
        }

        source.Append("}\n");
        var diagnostics = await TestCompilation.AnalyzeAsync(TestCompilation.Create("Parity", source.ToString()));
        var rejected = diagnostics.Where(d => d.Id == "DCRON0001").Select(d => d.Location.GetLineSpan().StartLinePosition.Line - 4).ToHashSet();

        var mismatches = new List<string>();
        for (var i = 0; i < Table.Length; i++)
        {
            var (expression, valid) = Table[i];
            var runtime = ScheduleText.Parse(expression, "p" + i);
            var analyzer = !rejected.Contains(i);
            if (runtime.Success != valid || analyzer != valid)
            {
                mismatches.Add($"'{expression}': table {valid}, runtime {runtime.Success} ({runtime.Error}), analyzer {analyzer}");
            }
        }

        Assert.True(mismatches.Count == 0, string.Join(Environment.NewLine, mismatches));
    }

    [Fact]
    public void Plain_cron_text_gets_exactly_Cronos_verdict()
    {
        var mismatches = new List<string>();
        foreach (var (expression, _) in Table)
        {
            var fields = expression.Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries);
            if (expression.Contains('@') || expression.Contains('H') || expression.Contains('h') && !expression.Contains("MON") || fields.Length is not (5 or 6))
            {
                continue;
            }

            bool cronos;
            try
            {
                Cronos.CronExpression.Parse(string.Join(' ', fields), fields.Length == 6 ? Cronos.CronFormat.IncludeSeconds : Cronos.CronFormat.Standard);
                cronos = true;
            }
            catch (Cronos.CronFormatException)
            {
                cronos = false;
            }

            var ours = ScheduleText.Parse(expression, "job").Success;
            if (ours != cronos)
            {
                mismatches.Add($"'{expression}': Cronos {cronos}, DistCron {ours}");
            }
        }

        Assert.True(mismatches.Count == 0, string.Join(Environment.NewLine, mismatches));
    }
}
