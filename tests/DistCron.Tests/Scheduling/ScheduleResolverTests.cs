using DistCron.Scheduling;

namespace DistCron.Tests.Scheduling;

public class ScheduleResolverTests
{
    [Theory]
    [InlineData("UTC")]
    [InlineData("utc")]
    [InlineData(" Utc ")]
    public void Utc_time_zone_in_any_case_resolves_to_utc(string timeZone)
    {
        var result = ScheduleResolver.Resolve("0 * * * *", timeZone, "job");
        Assert.True(result.Success, result.Error);
        Assert.Equal(TimeZoneInfo.Utc, result.Schedule!.TimeZone);
    }

    // Every definition names its zone and the seed writes it: a row without one was damaged, and running it as UTC
    // would silently move the job's hours. (The analyzer refuses a blank TimeZone too: DCRON0018.)
    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    public void A_missing_time_zone_is_an_error_not_utc(string? timeZone)
    {
        var result = ScheduleResolver.Resolve("0 * * * *", timeZone, "job");
        Assert.False(result.Success);
        Assert.StartsWith("empty time zone: the job's row must name its zone, such as 'UTC' or 'Europe/Paris'", result.Error);
    }

    // Ids naming zoneinfo directories made .NET throw SecurityException / UnauthorizedAccessException, a 10 kB id
    // PathTooLongException: the exception escaped the runner and the claim hung. Each is now an unknown zone.
    [Theory]
    [InlineData("Europe")]
    [InlineData("America")]
    [InlineData("Etc")]
    [InlineData("US")]
    [InlineData("Europe/")]
    [InlineData("/")]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("../../../etc/passwd")]
    [InlineData("/usr/share/zoneinfo/Europe/Paris")]
    [InlineData("Europe\u0000Paris")]
    public void Ids_that_are_paths_or_directories_are_unknown_zones_not_exceptions(string raw)
    {
        var id = System.Text.RegularExpressions.Regex.Unescape(raw);
        Assert.False(TimeZoneResolver.TryResolve(id, out var zone));
        Assert.Equal(TimeZoneInfo.Utc, zone);
        var result = ScheduleResolver.Resolve("0 * * * *", id, "job");
        Assert.False(result.Success);
        Assert.StartsWith("unknown time zone '", result.Error);
    }

    [Fact]
    public void A_10_kB_id_is_an_unknown_zone_shown_short()
    {
        var id = new string('Z', 10_240);
        Assert.False(TimeZoneResolver.TryResolve(id, out _));
        var result = ScheduleResolver.Resolve("0 * * * *", id, "job");
        Assert.Equal("unknown time zone '" + new string('Z', 100) + "…': use an IANA id such as \"Europe/Paris\", a Windows id such as \"Romance Standard Time\", or \"UTC\"", result.Error);
    }

    [Fact]
    public void The_zone_cache_stays_bounded_however_many_distinct_ids_rows_hold()
    {
        for (var i = 0; i < TimeZoneResolver.MaxCacheEntries * 3; i++)
        {
            TimeZoneResolver.TryResolve("No/Such_Zone_" + i, out _);
            Assert.True(TimeZoneResolver.CachedCount <= TimeZoneResolver.MaxCacheEntries + 50); // + what parallel tests add between an increment and the clear
        }

        Assert.True(TimeZoneResolver.TryResolve("Europe/Paris", out var paris));
        Assert.NotEqual(TimeZoneInfo.Utc, paris);
    }

    [Theory]
    [InlineData("Europe/Paris")]
    [InlineData("Romance Standard Time")]
    [InlineData("America/New_York")]
    [InlineData("Eastern Standard Time")]
    public void Iana_and_windows_ids_resolve_to_the_same_rules(string timeZone)
    {
        var result = ScheduleResolver.Resolve("0 12 * * *", timeZone, "job");
        Assert.True(result.Success, result.Error);
        var winter = new DateTimeOffset(2025, 1, 15, 0, 0, 0, TimeSpan.Zero);
        var expectedOffset = timeZone is "Europe/Paris" or "Romance Standard Time" ? TimeSpan.FromHours(1) : TimeSpan.FromHours(-5);
        Assert.Equal(expectedOffset, result.Schedule!.TimeZone.GetUtcOffset(winter));
    }

    [Fact]
    public void Unknown_time_zone_fails_with_a_reason_naming_it()
    {
        var result = ScheduleResolver.Resolve("0 * * * *", "Mars/Olympus_Mons", "job");
        Assert.False(result.Success);
        Assert.Contains("Mars/Olympus_Mons", result.Error);
        Assert.Contains("IANA", result.Error);
    }

    [Theory]
    [InlineData("not a cron")]
    [InlineData("0 0 12 ? * MON *")]
    [InlineData("61 * * * *")]
    [InlineData("")]
    public void Invalid_schedule_fails_with_a_reason_quoting_it(string schedule)
    {
        var result = ScheduleResolver.Resolve(schedule, "UTC", "job");
        Assert.False(result.Success);
        Assert.StartsWith($"invalid schedule '{schedule}'", result.Error);
    }

    [Fact]
    public void Quartz_syntax_reason_carries_the_hint()
    {
        var result = ScheduleResolver.Resolve("0 0 12 ? * MON *", "UTC", "job");
        Assert.Contains("Quartz", result.Error);
        Assert.Contains("drop the last (year) field", result.Error);
    }

    [Fact]
    public void Control_characters_in_a_row_value_are_escaped_in_the_reason()
    {
        var result = ScheduleResolver.Resolve("bad\nINFO forged line", "UTC", "job");
        Assert.False(result.Success);
        Assert.DoesNotContain("\n", result.Error);
        Assert.Contains("\\u000a", result.Error);
    }

    [Fact]
    public void Six_fields_are_seconds_first()
    {
        var result = ScheduleResolver.Resolve("*/10 * * * * *", "UTC", "job");
        Assert.True(result.Success, result.Error);
        Assert.True(result.Schedule!.IncludeSeconds);
        var next = result.Schedule.NextAfter(new DateTimeOffset(2025, 1, 1, 0, 0, 3, TimeSpan.Zero));
        Assert.Equal(new DateTimeOffset(2025, 1, 1, 0, 0, 10, TimeSpan.Zero), next);
    }

    [Fact]
    public void H_is_expanded_per_job_name_and_identical_across_resolutions()
    {
        var a = ScheduleResolver.Resolve("H * * * *", "UTC", "Reports.A").Schedule!;
        var again = ScheduleResolver.Resolve("H * * * *", "UTC", "Reports.A").Schedule!;
        Assert.Same(a, again); // cached
        Assert.Equal(a.ExpandedText, ScheduleResolver.Resolve("H * * * *", "Europe/Paris", "Reports.A").Schedule!.ExpandedText);
        var minute = int.Parse(a.ExpandedText.Split(' ')[0]);
        Assert.InRange(minute, 0, 59);
        var from = new DateTimeOffset(2025, 1, 1, 10, 0, 0, TimeSpan.Zero).AddMinutes(-1);
        Assert.Equal(from.AddMinutes(1 + minute), a.NextAfter(from));
    }

    [Fact]
    public void A_schedule_without_H_is_resolved_once_whatever_the_number_of_jobs_that_use_it()
    {
        // Keyed by job name, 20,000 every-second jobs overflowed the cache and made every claim resolve again.
        var first = ScheduleResolver.Resolve("*/7 * * * * *", "UTC", "fleet-job-1").Schedule!;
        foreach (var name in Enumerable.Range(2, 50).Select(i => $"fleet-job-{i}"))
        {
            Assert.Same(first, ScheduleResolver.Resolve("*/7 * * * * *", "UTC", name).Schedule);
        }

        // H depends on the name: two jobs get their own expansion.
        Assert.NotSame(ScheduleResolver.Resolve("H H * * *", "UTC", "fleet-h-1").Schedule, ScheduleResolver.Resolve("H H * * *", "UTC", "fleet-h-2").Schedule);
    }
}
