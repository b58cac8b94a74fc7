namespace DistCron.Tests.Operations;

/// <summary>
/// <see cref="DistCronClient.GetNextOccurrences"/>: the nodes' own schedule rules, each occurrence with its zone's
/// offset at that instant, so a daylight-saving change reads as a change of offset.
/// </summary>
public sealed class NextOccurrencesTests
{
    private static JobRow Job(string schedule, string timeZone) =>
        new("job", schedule, timeZone, "hash", null, null, 1, null, 0, null, false, false, null, null, null, null, null);

    [Fact]
    public void Occurrences_carry_the_zone_offset_across_the_spring_forward_gap()
    {
        // Paris springs forward on 2026-03-29 at 02:00 (+01:00 -> +02:00): 02:30 does not exist that night, and fires
        // at the end of the gap, as the nodes fire it.
        var after = new DateTimeOffset(2026, 3, 27, 12, 0, 0, TimeSpan.Zero);
        var occurrences = DistCronClient.GetNextOccurrences(Job("30 2 * * *", "Europe/Paris"), after, 3);
        Assert.Equal(
        [
            new DateTimeOffset(2026, 3, 28, 2, 30, 0, TimeSpan.FromHours(1)),
            new DateTimeOffset(2026, 3, 29, 3, 0, 0, TimeSpan.FromHours(2)),
            new DateTimeOffset(2026, 3, 30, 2, 30, 0, TimeSpan.FromHours(2)),
        ], occurrences);
        Assert.Equal([TimeSpan.FromHours(1), TimeSpan.FromHours(2), TimeSpan.FromHours(2)], occurrences.Select(o => o.Offset));
    }

    [Fact]
    public void Occurrences_are_strictly_after_the_instant_and_as_many_as_asked()
    {
        var after = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var occurrences = DistCronClient.GetNextOccurrences(Job("0 * * * *", "UTC"), after, 10);
        Assert.Equal(Enumerable.Range(1, 10).Select(h => after.AddHours(h)), occurrences);
        Assert.All(occurrences, o => Assert.Equal(TimeSpan.Zero, o.Offset));
    }

    [Fact]
    public void A_schedule_that_never_fires_again_gives_fewer()
    {
        // 30 February never comes.
        Assert.Empty(DistCronClient.GetNextOccurrences(Job("0 0 30 2 *", "UTC"), DateTimeOffset.UnixEpoch, 5));
    }

    [Theory]
    [InlineData("not a cron", "UTC", "invalid schedule")]
    [InlineData("0 * * * *", "Mars/Olympus", "Mars/Olympus")]
    public void A_row_that_does_not_resolve_is_refused_with_the_reason(string schedule, string timeZone, string reason)
    {
        var error = Assert.Throws<ArgumentException>(() => DistCronClient.GetNextOccurrences(Job(schedule, timeZone), DateTimeOffset.UnixEpoch, 1));
        Assert.Contains("'job' cannot be scheduled", error.Message);
        Assert.Contains(reason, error.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1001)]
    public void The_count_is_between_1_and_1000(int count) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => DistCronClient.GetNextOccurrences(Job("0 * * * *", "UTC"), DateTimeOffset.UnixEpoch, count));
}
