using DistCron.Configuration;

namespace DistCron.Tests.Configuration;

/// <summary>The rule that tells nodes of one release that differ by configuration from an ordinary (rolling) deploy.</summary>
public sealed class DefinitionConflictsTests
{
    private static readonly JobDefinition Mine = new("a", "*/5 * * * *", CronFormat.Standard, "UTC", MisfirePolicy.RunOnce, null, null, 0,
        "mine", "App.Jobs", "A", (_, _, _) => default);

    private static JobRow Row(string hash, long? version, bool orphaned = false, string? error = null, string name = "a", string? code = "mine") =>
        new(name, "0 * * * *", "UTC", hash, null, null, 1, null, 0, null, false, orphaned, error, null, null, null, null) { DefinitionVersion = version, CodeHash = code };

    private static IReadOnlyList<DefinitionConflicts.Conflict> Find(JobRow row, long? version) =>
        DefinitionConflicts.Find(new Dictionary<string, JobDefinition> { ["a"] = Mine }, [row], version);

    [Fact]
    public void Same_version_different_definition_is_a_conflict()
    {
        var conflict = Assert.Single(Find(Row("theirs", 7), 7));
        Assert.Equal("a", conflict.JobName);
        Assert.Contains("this node's definition (schedule \"*/5 * * * *\" in UTC, no configuration override) differs from the one another node of the same DeploymentVersion wrote (schedule \"0 * * * *\" in UTC)", conflict.Describe());
    }

    [Theory]
    [InlineData("mine", 7L, 7L, false, null)]    // the same definition
    [InlineData("theirs", 8L, 7L, false, null)]  // a newer release wrote it: a rolling deploy
    [InlineData("theirs", 6L, 7L, false, null)]  // an older release's row: this node's seed replaces it
    [InlineData("theirs", null, 7L, false, null)] // an unversioned row: replaced likewise
    [InlineData("theirs", 7L, null, false, null)] // this node is unversioned: the hash alone decides, a redeploy
    [InlineData("theirs", 7L, 7L, true, null)]   // orphaned: no node keeps it, the seed replaces it
    [InlineData("theirs", 7L, 7L, false, "bad")] // errored: the seed replaces it
    public void Anything_else_is_not(string hash, long? rowVersion, long? myVersion, bool orphaned, string? error) =>
        Assert.Empty(Find(Row(hash, rowVersion, orphaned, error), myVersion));

    [Theory]
    [InlineData("other-code")] // a rebuild under the same version number: the hash rule
    [InlineData(null)]         // written before code hashes were recorded
    public void Other_code_under_the_same_version_is_not(string? code) =>
        Assert.Empty(Find(Row("theirs", 7, code: code), 7));

    [Fact]
    public void A_row_this_node_has_no_code_for_is_not_its_concern() =>
        Assert.Empty(DefinitionConflicts.Find(new Dictionary<string, JobDefinition> { ["a"] = Mine }, [Row("theirs", 7, name: "b")], 7));
}
