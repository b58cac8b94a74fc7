using DistCron.Storage;

namespace DistCron.Tests.Storage;

/// <summary>The stored form of a job's declaration facts: what reads back, and what reads as unknown.</summary>
public sealed class DefinitionFactsTests
{
    private static readonly JobDefinitionInfo Facts = new("Shop.Jobs", "Run", CronFormat.IncludeSeconds, MisfirePolicy.RunOnce,
        TimeSpan.FromMilliseconds(90_500), null, 2)
    {
        OverriddenBy = ["DistCron:Jobs:a:Timeout", "DistCron:Jobs:a:MaxRetries"],
    };

    [Fact]
    public void Facts_read_back_as_written()
    {
        var options = DefinitionFacts.Options(Facts, "h1");
        Assert.Equal(Facts, DefinitionFacts.Read("Shop.Jobs", "Run", options, "h1"));
    }

    [Theory]
    [InlineData(null, "Run", "ok")]
    [InlineData("Shop.Jobs", null, "ok")]
    [InlineData("Shop.Jobs", "Run", null)]
    public void A_missing_column_reads_as_unknown(string? type, string? method, string? options) =>
        Assert.Null(DefinitionFacts.Read(type, method, options is null ? null : DefinitionFacts.Options(Facts, "h1"), "h1"));

    [Fact]
    public void Facts_written_for_another_definition_hash_read_as_unknown() =>
        // An older DistCron rewrote the definition and left the facts of the previous one behind.
        Assert.Null(DefinitionFacts.Read("Shop.Jobs", "Run", DefinitionFacts.Options(Facts, "h1"), "h2"));

    [Theory]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("""{"definitionHash":"h1"}""")]
    [InlineData("""{"definitionHash":"h1","format":"Weekly","misfire":"RunOnce","maxRetries":0}""")]
    [InlineData("""{"definitionHash":"h1","format":"Standard","misfire":"Sometimes","maxRetries":0}""")]
    [InlineData("""{"definitionHash":"h1","format":"Standard","misfire":"RunOnce","maxRetries":"3"}""")]
    // Corrupt rows: a number where a name goes (Enum.TryParse takes "7"), durations past TimeSpan's range either way.
    [InlineData("""{"definitionHash":"h1","format":"7","misfire":"RunOnce","maxRetries":0}""")]
    [InlineData("""{"definitionHash":"h1","format":"Standard","misfire":"-1","maxRetries":0}""")]
    [InlineData("""{"definitionHash":"h1","format":"Standard","misfire":"RunOnce","timeoutMs":9223372036854775807,"maxRetries":0}""")]
    [InlineData("""{"definitionHash":"h1","format":"Standard","misfire":"RunOnce","retryDelayMs":-9223372036854775808,"maxRetries":0}""")]
    public void Options_this_code_cannot_read_are_unknown_not_an_error(string options) =>
        Assert.Null(DefinitionFacts.Read("Shop.Jobs", "Run", options, "h1"));

    [Fact]
    public void Options_of_a_newer_writer_with_more_keys_still_read() =>
        Assert.Equal(new JobDefinitionInfo("T", "M", CronFormat.Standard, MisfirePolicy.Skip, null, TimeSpan.FromSeconds(1), 0),
            DefinitionFacts.Read("T", "M", """{"definitionHash":"h","format":"Standard","misfire":"Skip","retryDelayMs":1000,"maxRetries":0,"later":true}""", "h"));

    [Theory]
    [InlineData("1.2.0+abc123", "1.2.0")]
    [InlineData("1.2.0-preview.1+abc", "1.2.0-preview.1")]
    [InlineData("1.2.0", "1.2.0")]
    public void The_library_version_drops_the_source_revision(string informational, string shown) =>
        Assert.Equal(shown, NodeVersion.WithoutRevision(informational));
}
