using DistCron.Generators.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace DistCron.Generators.Tests;

/// <summary>
/// DistCron:Jobs overrides in appsettings*.json checked at build time: each problem at its line and column in the
/// file, with the attribute's ID for the same problem and the runtime's words.
/// </summary>
public class AppSettingsDiagnosticTests
{
    [Fact]
    public void A_bad_schedule_is_reported_at_its_value_with_DCRON0001_and_the_runtimes_words()
    {
        var diagnostics = AppSettings.Diagnostics("""
            {
              "DistCron": {
                "Jobs": {
                  "sitemap.regenerate": { "Schedule": "61 * * * *" }
                }
              }
            }
            """);

        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Equal(
            "DCRON0001 appsettings.json(4,44)-(4,54): DistCron:Jobs:sitemap.regenerate:Schedule: schedule \"61 * * * *\" is not a valid cron expression: Minutes: Value must be a number between 0 and 59 (all inclusive); "
            + DistCron.Internal.RuleText.ScheduleFix,
            AppSettings.Describe(diagnostic));
        Assert.Equal("/app/appsettings.json", diagnostic.Location.GetLineSpan().Path);
        Assert.Equal(LocationKind.ExternalFile, diagnostic.Location.Kind);
    }

    [Fact]
    public void Every_kind_of_problem_gets_its_id_at_its_place()
    {
        // Comments, trailing commas and any key casing, as .NET's JSON configuration accepts them.
        var diagnostics = AppSettings.Diagnostics("""
            // The production overrides.
            {
              "distcron": { /* keys are case-insensitive */
                "jobs": {
                  "reports.nightly": {
                    "TimeZone": "Europe/Pariss",
                    "timeout": "10",
                    "RetryDelay": "30.00:00:00",
                    "MaxRetries": -1,
                    "Misfire": "Twice",
                    "Enabled": "yes",
                    "Schedul": "0 * * * *",
                  },
                  "sitemap.regenrate": { "Enabled": false },
                  "reports.weekly": "off",
                },
              },
            }
            """).Select(AppSettings.Describe).ToList();

        Assert.Equal(string.Join("\n",
        [
            "DCRON0003 appsettings.json(6,22)-(6,35): distcron:jobs:reports.nightly:TimeZone: time zone \"Europe/Pariss\" is not a known IANA or Windows time zone id; use " + DistCron.Internal.RuleText.TimeZoneIdKinds + ", or \"UTC\"",
            "DCRON0004 appsettings.json(7,21)-(7,23): distcron:jobs:reports.nightly:timeout: '10' is not a duration written hh:mm:ss",
            "DCRON0005 appsettings.json(8,24)-(8,35): distcron:jobs:reports.nightly:RetryDelay: RetryDelay (30.00:00:00) must be zero or more and at most 24.00:00:00 (24 days: longer waits overflow .NET timers); use null for the default (10 s), or a duration such as 00:00:10",
            "DCRON0006 appsettings.json(9,23)-(9,25): distcron:jobs:reports.nightly:MaxRetries: MaxRetries is -1, but it cannot be negative; use 0 for no retries or a positive count",
            "DCRON0014 appsettings.json(10,21)-(10,26): distcron:jobs:reports.nightly:Misfire: 'Twice' is not a misfire policy; use RunOnce, Skip",
            "DCRON0022 appsettings.json(11,21)-(11,24): distcron:jobs:reports.nightly:Enabled: 'yes' is not true or false",
            "DCRON0022 appsettings.json(12,9)-(12,18): distcron:jobs:reports.nightly:Schedul: is not a DistCron setting; did you mean Schedule?",
            "DCRON0022 appsettings.json(15,26)-(15,29): distcron:jobs:reports.weekly: expected a section of Schedule, TimeZone, Enabled, Timeout, RetryDelay, MaxRetries, Misfire, found the value \"off\"",
            "DCRON0021 appsettings.json(14,7)-(14,26): distcron:jobs:sitemap.regenrate: no job named \"sitemap.regenrate\" is declared; did you mean \"sitemap.regenerate\"?",
        ]), string.Join("\n", diagnostics));
    }

    [Fact]
    public void Valid_overrides_and_files_without_DistCron_report_nothing()
    {
        Assert.Empty(AppSettings.Diagnostics("""
            {
              "Logging": { "LogLevel": { "Default": "Information" } },
              "DistCron": {
                "App": "shop",
                "Jobs": {
                  "sitemap.regenerate": { "Schedule": "*/30 * * * *", "TimeZone": "Europe/Paris", "Timeout": "00:10:00", "RetryDelay": "00:00:00",
                                          "MaxRetries": 3, "Misfire": "skip", "Enabled": true },
                  "reports.nightly": { "Enabled": "False" },
                  "Reports.Nightly": {}
                }
              }
            }
            """).Where(d => d.Id != "DCRON0021"));
        Assert.Empty(AppSettings.Diagnostics("""{ "ConnectionStrings": { "Db": "Host=x" } }"""));
        Assert.Empty(AppSettings.Diagnostics("[]"));
    }

    [Fact]
    public void A_file_that_is_not_json_is_left_to_the_runtime()
    {
        // The JSON provider refuses these at start with its own error; the build says nothing rather than guess.
        foreach (var broken in new[] { """{ "DistCron": { "Jobs": { "x": { "Schedule": "bad" } }""", """{ "DistCron": 'x' }""", """{ /* open""", "{ \"a\": 01x }" })
        {
            Assert.Empty(AppSettings.Diagnostics(broken));
        }
    }

    [Fact]
    public void Escapes_multi_line_values_and_a_byte_order_mark_keep_exact_columns()
    {
        var diagnostics = AppSettings.Diagnostics("\uFEFF{\r\n  \"DistCron\": { \"Jobs\": {\r\n    \"sitemap.\\u0072egenerate\":\r\n      { \"Schedule\": \"\\t61 * * * *\" } } }\r\n}");
        var diagnostic = Assert.Single(diagnostics);
        // The tab is shown escaped, as the runtime shows it (PrintableText).
        Assert.StartsWith("DCRON0001 appsettings.json(4,22)-(4,34): DistCron:Jobs:sitemap.regenerate:Schedule: schedule \"\\u000961 * * * *\" is not", AppSettings.Describe(diagnostic));
    }

    [Fact]
    public void Environment_files_are_checked_and_other_json_files_are_not()
    {
        const string Bad = """{ "DistCron": { "Jobs": { "reports.nightly": { "Schedule": "nope" } } } }""";
        var production = Assert.Single(AppSettings.DiagnosticsOf("/app/appsettings.Production.json", Bad));
        Assert.Equal("/app/appsettings.Production.json", production.Location.GetLineSpan().Path);
        Assert.Equal("DCRON0001", production.Id);
        Assert.Empty(AppSettings.DiagnosticsOf("/app/launchSettings.json", Bad));
    }

    [Fact]
    public void Names_added_in_code_are_known_and_a_computed_name_turns_the_unknown_name_check_off()
    {
        const string Json = """{ "DistCron": { "Jobs": { "tenant-42.report": { "Enabled": false } } } }""";
        static string Program(string name) => $$"""
            using DistCron;
            using System.Threading.Tasks;
            namespace App;
            public static class Setup
            {
                public static void Configure(DistCronOptions o, int tenant) =>
                    o.AddJob({{name}}, "0 6 * * *", static (ctx, services, ct) => Task.CompletedTask);
            }
            """;

        Assert.Empty(AppSettings.Diagnostics(Json, AppSettings.DefaultJobs, Program("\"tenant-42.report\"")));
        Assert.Empty(AppSettings.Diagnostics(Json, AppSettings.DefaultJobs, Program("$\"tenant-{tenant}.report\"")));
        var unknown = Assert.Single(AppSettings.Diagnostics(Json, AppSettings.DefaultJobs, Program("\"tenant-41.report\"")));
        Assert.Equal("DCRON0021", unknown.Id);
        Assert.Contains("did you mean \"tenant-41.report\"?", unknown.GetMessage());
    }

    // The build and the start say the same thing: the runtime binds the same file with the real JSON configuration
    // provider, and its start-up errors are the diagnostics' messages, each followed by a period.
    [Fact]
    public void Messages_equal_the_runtimes_start_up_errors_for_the_same_file()
    {
        const string Json = """
            {
              "DistCron": {
                "Jobs": {
                  "reports.nightly": {
                    "Schedule": "0 25 * * *", "TimeZone": "Europe/Pariss", "Timeout": "10", "RetryDelay": "-00:00:01",
                    "MaxRetries": -2, "Misfire": "Twice", "Enabled": "yes", "Schedul": "x"
                  },
                  "sitemap.regenerate": { "Timeout": "30.00:00:00", "TimeZone": " " },
                  "sitemap.regenrate": { "Enabled": false },
                  "reports.weekly": "off"
                }
              }
            }
            """;
        var diagnostics = AppSettings.Diagnostics(Json).Select(d => d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)).Select(m => m.EndsWith('?') ? m : m + ".").ToHashSet();

        var file = Path.Combine(Path.GetTempPath(), "distcron-appsettings-" + Guid.NewGuid().ToString("N") + ".json");
        File.WriteAllText(file, Json);
        try
        {
            var configuration = new ConfigurationBuilder().AddJsonFile(file).Build();
            var (_, output) = TestCompilation.Generate(TestCompilation.Create("App", AppSettings.DefaultJobs));
            var definitions = StartUp.Definitions(output);
            using var provider = new ServiceCollection()
                .AddDistCron(configuration.GetSection("DistCron"), o => o.AddJobs(definitions))
                .BuildServiceProvider();
            var failure = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<DistCronOptions>>().Value);
            var runtime = failure.Failures.SelectMany(f => f.Split('\n')).Select(l => l.Trim()).Where(l => l.StartsWith("DistCron:", StringComparison.Ordinal)).ToHashSet();

            // Every diagnostic is a start-up error word for word. The one the build only warns about (a time zone it does
            // not know may exist on the host) is an error at start when the host lacks it too.
            Assert.Equal(string.Join("\n", diagnostics.Order(StringComparer.Ordinal)), string.Join("\n", runtime.Order(StringComparer.Ordinal)));
        }
        finally
        {
            File.Delete(file);
        }
    }
}
