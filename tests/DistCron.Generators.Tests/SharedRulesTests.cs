using DistCron.Internal;

namespace DistCron.Generators.Tests;

/// <summary>The shared option rules and the embedded time zone table (as compiled into the runtime).</summary>
public class SharedRulesTests
{
    [Theory]
    [InlineData("Europe/Paris")]
    [InlineData("America/Argentina/Buenos_Aires")]
    [InlineData("US/Eastern")]
    [InlineData("Etc/GMT+5")]
    [InlineData("UTC")]
    [InlineData("Romance Standard Time")]
    [InlineData("Tokyo Standard Time")]
    [InlineData("Pacific Standard Time")]
    public void Known_ids_of_both_kinds_are_recognised(string id)
    {
        Assert.True(TimeZoneIds.IsKnown(id));
        // And the runtime can resolve each of them on this OS, IANA and Windows alike.
        Assert.NotNull(TimeZoneInfo.FindSystemTimeZoneById(id));
    }

    [Theory]
    [InlineData("europe/paris", "Europe/Paris")]
    [InlineData("America/New York", "America/New_York")]
    [InlineData("romance standard time", "Romance Standard Time")]
    [InlineData("Mars/Base", null)]
    public void Near_misses_get_the_right_spelling(string id, string? suggestion)
    {
        Assert.False(TimeZoneIds.IsKnown(id));
        Assert.Equal(suggestion, TimeZoneIds.SuggestionFor(id));
    }

    [Fact]
    public void Every_zone_this_runtime_lists_is_in_the_table()
    {
        // Fails when the machine's tzdata is newer than the table: rerun src/DistCron.Generators/Tools/GenerateTimeZoneIds.cs.
        var missing = TimeZoneInfo.GetSystemTimeZones().Select(z => z.Id).Where(id => !TimeZoneIds.IsKnown(id)).ToList();
        Assert.True(missing.Count == 0, "not in TimeZoneIds.g.cs (tzdata " + TimeZoneIds.TzdataVersion + "): " + string.Join(", ", missing));
    }

    [Theory]
    [InlineData("00:05:00", 300)]
    [InlineData("0:5:0", 300)]
    [InlineData("1.00:00:00", 86400)]
    [InlineData("00:00:01.5", 1.5)]
    [InlineData(" 01:00:00 ", 3600)]
    [InlineData("-00:00:05", -5)]
    public void Durations_are_read_as_hh_mm_ss(string text, double seconds)
    {
        Assert.True(JobOptionText.TryParseDuration(text, out var value, out var error), error);
        Assert.Equal(TimeSpan.FromSeconds(seconds), value);
    }

    [Theory]
    [InlineData("10")]
    [InlineData("00:05")]
    [InlineData("5m")]
    [InlineData("24:00:00")]
    [InlineData("")]
    [InlineData(null)]
    public void Ambiguous_or_malformed_durations_are_refused(string? text)
    {
        Assert.False(JobOptionText.TryParseDuration(text, out _, out var error));
        Assert.Contains("hh:mm:ss", error);
    }

    [Fact]
    public void Definition_hash_is_stable_and_normalises_durations()
    {
        var a = StableHash.DefinitionWithDurations("job", "0 * * * *", "UTC", 0, TimeSpan.FromMinutes(5), null, 1);
        Assert.Equal(a, StableHash.Definition("job", "0 * * * *", "UTC", 0, "00:05:00", null, 1));
        Assert.Matches("^[0-9a-f]{16}$", a);
        Assert.NotEqual(a, StableHash.DefinitionWithDurations("job", "0 * * * *", "UTC", 0, TimeSpan.FromMinutes(6), null, 1));
        // Pinned: a different value would re-seed every crontab row in every deployment.
        Assert.Equal(0xe40c292cu, StableHash.Fnv1a32("a")); // the FNV-1a reference vector
    }

    [Theory]
    [InlineData("a", null)]
    [InlineData("billing.close-month:v2_final", null)]
    [InlineData("", "the job name is empty")]
    [InlineData("a b", "the job name contains 'U+0020' at position 2; only A-Z, a-z, 0-9, '.', '_', ':' and '-' are allowed")]
    [InlineData("a/b", "the job name contains '/' at position 2; only A-Z, a-z, 0-9, '.', '_', ':' and '-' are allowed")]
    public void Job_names_follow_the_store_key_rules(string name, string? error)
    {
        Assert.Equal(error, JobOptionText.NameError(name));
        Assert.Null(JobOptionText.NameError(new string('x', 200)));
        Assert.NotNull(JobOptionText.NameError(new string('x', 201)));
    }

    // '?' marks Quartz syntax (Unix cron has none), with or without the seconds field; numbers that name no
    // day (a step, an occurrence, an H range) are not Quartz day numbers.
    [Theory]
    [InlineData("0 12 ? * 2-6", true)]
    [InlineData("0 0 12 ? * 2-6", true)]
    [InlineData("0 12 ? * 1", true)]
    [InlineData("0 12 ? * 7", true)]
    [InlineData("0 12 ? * 2,4,6", true)]
    [InlineData("0 12 ? * 6L", true)]
    [InlineData("0 12 ? * 2#1", true)]
    [InlineData("0 12 ? * 1/2", true)]
    [InlineData("  0\t12 ?  * 2-6 ", true)]
    [InlineData("0 12 * * 1-5", false)]
    [InlineData("0 12 * * 0", false)]
    [InlineData("0 12 * * 7", false)]
    [InlineData("0 0 1 * 1", false)]
    [InlineData("*/5 * * * *", false)]
    [InlineData("30 2 1,15 * *", false)]
    [InlineData("0 9 * * MON-FRI", false)]
    [InlineData("0 9 * * 5#3", false)]
    [InlineData("0 9 * * 5L", false)]
    [InlineData("0 12 ? * MON-FRI", false)]
    [InlineData("0 12 ? * *", false)]
    [InlineData("0 12 ? * */2", false)]
    [InlineData("0 12 ? * MON#2", false)]
    [InlineData("0 12 ? * H(1-5)", false)]
    [InlineData("0 12 1 * ?", false)]
    [InlineData("0 0 12 * * ?", false)]
    [InlineData("0 0 12 1 * ?", false)]
    [InlineData("@weekly", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void Quartz_day_numbers_are_recognised_with_or_without_seconds(string? schedule, bool quartz)
    {
        Assert.Equal(quartz, ScheduleText.LooksLikeQuartzDayOfWeek(schedule));
    }

    [Theory]
    [InlineData("2-6", "MON-FRI", "TUE-SAT")]
    [InlineData("1", "SUN", "MON")]
    [InlineData("7", "SAT", "SUN")]
    [InlineData("0", null, "SUN")]
    [InlineData("1,7", "SUN,SAT", "MON,SUN")]
    [InlineData("6L", "FRIL", "SATL")]
    [InlineData("2#3", "MON#3", "TUE#3")]
    [InlineData("1/2", "SUN/2", "MON/2")]
    [InlineData("*/2", "*/2", "*/2")]
    [InlineData("8", null, null)]
    public void Day_numbers_become_names_in_either_numbering(string field, string? quartz, string? unix)
    {
        Assert.Equal(quartz, ScheduleText.DayOfWeekAsNames(field, quartzNumbering: true));
        Assert.Equal(unix, ScheduleText.DayOfWeekAsNames(field, quartzNumbering: false));
    }

    // Cronos 0.13 ANDs day-of-month and day-of-week (checked here, not assumed), so a schedule restricting
    // both is flagged; the test of "restricted" is semantic.
    [Theory]
    [InlineData("0 0 1 * 1", true)]
    [InlineData("0 0 1-7 * MON", true)]
    [InlineData("0 0 L * FRI", true)]
    [InlineData("0 0 13 * FRI", true)]
    [InlineData("0 0 0 1,15 * 1-5", true)]
    [InlineData("0 0 */2 * 1", true)]
    [InlineData("0 0 1 * *", false)]
    [InlineData("0 0 * * 1", false)]
    [InlineData("0 0 ? * MON", false)]
    [InlineData("0 0 1 * ?", false)]
    [InlineData("0 0 1 * 0-6", false)]
    [InlineData("0 0 1 * 1-7", false)]
    [InlineData("0 0 1 * SUN-SAT", false)]
    [InlineData("0 0 1-31 * MON", false)]
    [InlineData("0 0 * * MON#1", false)]
    [InlineData("@monthly", false)]
    [InlineData("@weekly", false)]
    public void Both_day_fields_restricted_is_recognised(string schedule, bool both)
    {
        var parsed = ScheduleText.Parse(schedule, "job");
        Assert.True(parsed.Success, parsed.Error);
        Assert.Equal(both, ScheduleText.RestrictsBothDays(parsed, out _, out _));
    }

    [Fact]
    public void Cronos_runs_a_schedule_with_both_day_fields_only_on_days_matching_both()
    {
        // The fact DCRON0019 states: "0 0 1 * 1" fires on Mondays that are the 1st, not on every 1st and every Monday.
        var expression = ScheduleText.Parse("0 0 1 * 1", "job").Expression!;
        var from = new DateTime(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var next = expression.GetOccurrences(from, from.AddYears(1), TimeZoneInfo.Utc).ToList();
        Assert.Equal(new[] { new DateTime(2025, 9, 1), new DateTime(2025, 12, 1) }, next.Select(d => new DateTime(d.Year, d.Month, d.Day)));
    }

    [Theory]
    [InlineData("plain text", "plain text")]
    [InlineData("line\nINFO forged", "line\\u000aINFO forged")]
    [InlineData("nul\0", "nul\\u0000")]
    [InlineData("0\u00a0*", "0\\u00a0*")]
    [InlineData("a\u2028b\u2029c", "a\\u2028b\\u2029c")]
    [InlineData("zero\u200bwidth\ufeff", "zero\\u200bwidth\\ufeff")]
    [InlineData("rtl\u202eevil", "rtl\\u202eevil")]
    [InlineData("tab\t", "tab\\u0009")]
    [InlineData("Café Zürich", "Café Zürich")]
    [InlineData("emoji \ud83d\ude00", "emoji \ud83d\ude00")]
    [InlineData(null, "(null)")]
    public void Printable_for_identifiers_escapes_control_and_invisible_characters_only(string? value, string shown)
    {
        Assert.Equal(shown, PrintableText.Printable(value, keepLetters: true));
    }

    [Theory]
    [InlineData("Europe/Paris", "Europe/Paris")]
    [InlineData("Eur\u043epe/Paris", "Eur\\u043epe/Paris")]
    [InlineData("Café\n", "Caf\\u00e9\\u000a")]
    public void Printable_for_ascii_values_escapes_everything_else(string value, string shown)
    {
        Assert.Equal(shown, PrintableText.Printable(value));
    }

    [Fact]
    public void Printable_cuts_long_values()
    {
        Assert.Equal("lone \\ud83d!", PrintableText.Printable("lone \ud83d!", keepLetters: true));
        Assert.Equal(new string('x', 100) + "…", PrintableText.Printable(new string('x', 150)));
        Assert.Equal(new string('x', 150), PrintableText.Printable(new string('x', 150), int.MaxValue));
    }
}
