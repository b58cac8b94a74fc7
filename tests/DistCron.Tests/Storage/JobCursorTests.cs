using DistCron.Storage;

namespace DistCron.Tests.Storage;

public sealed class JobCursorTests
{
    private static JobRow Row(string name, DateTimeOffset? due = null, DateTimeOffset? finished = null, TimeSpan? duration = null) =>
        new(name, "* * * * *", "UTC", "h", due, null, 1, null, 0, null, false, false, null, null, null, null, finished) { LastDuration = duration };

    public static TheoryData<JobSort, JobRow> Rows() => new()
    {
        { JobSort.Name, Row("a:b:c") },
        { JobSort.NextDue, Row("x", due: new DateTimeOffset(2026, 3, 29, 1, 30, 0, 123, TimeSpan.FromHours(2)).AddTicks(4560)) },
        { JobSort.NextDue, Row("x") },
        { JobSort.LastFinished, Row("x", finished: DateTimeOffset.UnixEpoch.AddDays(-1)) },
        { JobSort.LastDuration, Row("x", duration: TimeSpan.FromMilliseconds(90061)) },
        { JobSort.LastDuration, Row("y") },
    };

    [Theory]
    [MemberData(nameof(Rows))]
    public void A_cursor_gives_back_the_rows_sort_key_and_name(JobSort sort, JobRow row)
    {
        var (key, name) = JobCursor.Decode(JobCursor.Encode(sort, row), sort);

        Assert.Equal(row.Name, name);
        Assert.Equal(JobCursor.Key(sort, row), key);
        if (sort == JobSort.NextDue && row.NextDueAt is { } due) Assert.Equal(due, JobCursor.FromMicros(key!.Value));
        if (sort == JobSort.LastFinished && row.LastFinishedAt is { } finished) Assert.Equal(finished, JobCursor.FromMicros(key!.Value));
    }

    [Theory]
    [InlineData("")]
    [InlineData("name:")]
    [InlineData("name::")]
    [InlineData("name:5:x")]
    [InlineData("next:abc:x")]
    [InlineData("last:1:x")]
    [InlineData("bogus:1:x")]
    public void A_cursor_that_is_not_one_of_this_sort_is_refused_with_a_clear_error(string cursor)
    {
        var error = Assert.Throws<ArgumentException>(() => JobCursor.Decode(cursor, cursor.StartsWith("next", StringComparison.Ordinal) ? JobSort.NextDue : JobSort.Name));

        Assert.Contains("Next of the previous page", error.Message, StringComparison.Ordinal);
    }
}
