using DistCron.Generators.Tests.Infrastructure;
using Microsoft.CodeAnalysis;

namespace DistCron.Generators.Tests;

/// <summary>Constant arguments of DistCronOptions.AddJob are checked at build time as an attribute's, at the argument.</summary>
public class AddJobDiagnosticTests
{
    private static string Setup(string arguments) => $$"""
        using DistCron;
        using System.Threading.Tasks;
        namespace App;
        public static class Setup
        {
            private const string Zone = "Europe/Pariss";
            public static void Configure(DistCronOptions o, string tenant) =>
                o.AddJob({{arguments}});
        }
        """;

    private static async Task<List<(string Id, string At, string Message)>> Diagnostics(string arguments)
    {
        var source = Setup(arguments);
        var diagnostics = await TestCompilation.AnalyzeAsync(TestCompilation.Create("App", source));
        return diagnostics
            .OrderBy(d => d.Location.SourceSpan.Start)
            .Select(d => (d.Id, source.Substring(d.Location.SourceSpan.Start, d.Location.SourceSpan.Length), d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)))
            .ToList();
    }

    private const string Run = "static (c, s, t) => Task.CompletedTask";

    [Fact]
    public async Task A_constant_bad_schedule_is_reported_at_the_argument_with_the_attributes_id_and_words()
    {
        var found = Assert.Single(await Diagnostics($"\"reports.nightly\", \"61 * * * *\", {Run}"));
        Assert.Equal("DCRON0001", found.Id);
        Assert.Equal("\"61 * * * *\"", found.At);
        Assert.StartsWith("Schedule \"61 * * * *\" is not a valid cron expression: Minutes: Value must be a number between 0 and 59", found.Message);
    }

    [Fact]
    public async Task Name_time_zone_retries_and_misfire_are_checked_too_named_arguments_and_constants_included()
    {
        var found = await Diagnostics($"\"tenant 42\", \"0 6 * * *\", {Run}, maxRetries: -1, timeZone: Zone, misfire: (MisfirePolicy)7");
        Assert.Equal(
        [
            ("DCRON0012", "\"tenant 42\""),
            ("DCRON0006", "-1"),
            ("DCRON0003", "Zone"),
            ("DCRON0014", "(MisfirePolicy)7"),
        ], found.Select(f => (f.Id, f.At)));
        Assert.Contains("Time zone \"Europe/Pariss\" is not a known IANA or Windows time zone id", found[2].Message);
    }

    [Fact]
    public async Task Computed_arguments_and_valid_constants_are_left_to_start_up()
    {
        Assert.Empty(await Diagnostics($"$\"tenant-{{tenant}}.report\", tenant + \" * * * *\", {Run}"));
        Assert.Empty(await Diagnostics($"\"tenant-42.report\", \"H 6 * * MON-FRI\", {Run}, timeZone: \"Europe/Paris\", maxRetries: 2, misfire: MisfirePolicy.Skip"));
    }
}
