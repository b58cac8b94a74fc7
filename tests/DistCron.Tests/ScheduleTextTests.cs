using DistCron.Internal;

namespace DistCron.Tests;

public class ScheduleTextTests
{
    [Theory]
    [InlineData("0 * * * *", false)]
    [InlineData("*/5 * * * * *", true)]
    [InlineData("@hourly", false)]
    [InlineData("@every_second", true)]
    public void Valid_schedules_parse_with_the_format_given_by_field_count(string schedule, bool includeSeconds)
    {
        var result = ScheduleText.Parse(schedule, "job");
        Assert.True(result.Success, result.Error);
        Assert.Equal(includeSeconds, result.IncludeSeconds);
    }

    [Fact]
    public void H_expands_to_the_same_value_for_the_same_name_and_within_range()
    {
        var a = ScheduleText.Parse("H H * * *", "Reports.Nightly");
        var b = ScheduleText.Parse("H H * * *", "Reports.Nightly");
        Assert.True(a.Success, a.Error);
        Assert.Equal(a.ExpandedText, b.ExpandedText);
        var fields = a.ExpandedText.Split(' ');
        Assert.InRange(int.Parse(fields[0]), 0, 59);
        Assert.InRange(int.Parse(fields[1]), 0, 23);
    }

    [Theory]
    [InlineData("0 0 12 ? * MON *")]
    [InlineData("@reboot")]
    [InlineData("")]
    [InlineData("61 * * * *")]
    public void Invalid_schedules_fail_with_a_reason(string schedule)
    {
        var result = ScheduleText.Parse(schedule, "job");
        Assert.False(result.Success);
        Assert.False(string.IsNullOrEmpty(result.Error));
    }
}
