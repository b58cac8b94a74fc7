using DistCron.Engine;

namespace DistCron.Tests.Engine;

public class NodeIdTests
{
    [Fact]
    public void Generated_ids_carry_host_and_pid_and_differ_per_call()
    {
        var ids = Enumerable.Range(0, 200).Select(_ => NodeId.Generate("web-01", 4242)).ToHashSet();
        Assert.Equal(200, ids.Count);
        Assert.All(ids, id =>
        {
            Assert.Matches("^web-01-4242-[a-z0-9]{6}$", id);
            Assert.Null(NodeId.Validate(id));
        });
    }

    [Fact]
    public void Generated_id_is_never_just_the_host_name()
    {
        var id = NodeId.ForCurrentProcess();
        Assert.NotEqual(Environment.MachineName, id);
        Assert.Contains($"-{Environment.ProcessId}-", id);
    }

    [Theory]
    [InlineData("host name with spaces/and\\slashes", "^host-name-with-spaces-and-slashes-7-[a-z0-9]{6}$")]
    [InlineData("ünïcödé", "^n-c-d-7-[a-z0-9]{6}$")]
    [InlineData("", "^node-7-[a-z0-9]{6}$")]
    [InlineData("---", "^node-7-[a-z0-9]{6}$")]
    public void Host_names_are_sanitized(string host, string pattern)
    {
        var id = NodeId.Generate(host, 7);
        Assert.Matches(pattern, id);
        Assert.Null(NodeId.Validate(id));
    }

    [Fact]
    public void Very_long_host_names_are_truncated_to_a_valid_id()
    {
        var id = NodeId.Generate(new string('a', 500), 1);
        Assert.True(id.Length <= NodeId.MaxLength);
        Assert.Null(NodeId.Validate(id));
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("new\nline")]
    public void Invalid_overrides_are_rejected_with_a_reason(string value) =>
        Assert.Contains("NodeId must be", NodeId.Validate(value));

    [Fact]
    public void Too_long_override_is_rejected() => Assert.NotNull(NodeId.Validate(new string('a', NodeId.MaxLength + 1)));
}
