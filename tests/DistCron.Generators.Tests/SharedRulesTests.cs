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
}
