using DistCron.Generators.Tests.Infrastructure;
using Xunit.Sdk;

namespace DistCron.Generators.Tests;

/// <summary>The snapshot helper's own rules: never create or accept under CI, accept only on request.</summary>
public sealed class SnapshotTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "distcron-snapshots-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public void A_missing_snapshot_fails_under_CI_and_nothing_is_written_even_when_accepting()
    {
        Assert.Throws<FailException>(() => Snapshot.Verify("text", _directory, "case", onCi: true, acceptRequested: true));
        Assert.False(Directory.Exists(_directory) && Directory.EnumerateFiles(_directory).Any());
    }

    [Fact]
    public void A_mismatch_writes_received_and_fails_without_touching_verified()
    {
        Directory.CreateDirectory(_directory);
        File.WriteAllText(Path.Combine(_directory, "case.verified.cs"), "old");
        Assert.Throws<FailException>(() => Snapshot.Verify("new", _directory, "case", onCi: false, acceptRequested: false));
        Assert.Equal("old", File.ReadAllText(Path.Combine(_directory, "case.verified.cs")));
        Assert.Equal("new", File.ReadAllText(Path.Combine(_directory, "case.received.cs")));
    }

    [Fact]
    public void A_mismatch_under_CI_fails_and_writes_nothing()
    {
        Directory.CreateDirectory(_directory);
        File.WriteAllText(Path.Combine(_directory, "case.verified.cs"), "old");
        Assert.Throws<FailException>(() => Snapshot.Verify("new", _directory, "case", onCi: true, acceptRequested: true));
        Assert.Equal(new[] { "case.verified.cs" }, Directory.EnumerateFiles(_directory).Select(Path.GetFileName));
        Assert.Equal("old", File.ReadAllText(Path.Combine(_directory, "case.verified.cs")));
    }

    [Fact]
    public void Accepting_outside_CI_replaces_verified_and_removes_received()
    {
        Directory.CreateDirectory(_directory);
        File.WriteAllText(Path.Combine(_directory, "case.verified.cs"), "old");
        File.WriteAllText(Path.Combine(_directory, "case.received.cs"), "new");
        Snapshot.Verify("new\r\n", _directory, "case", onCi: false, acceptRequested: true);
        Assert.Equal("new\n", File.ReadAllText(Path.Combine(_directory, "case.verified.cs")));
        Assert.False(File.Exists(Path.Combine(_directory, "case.received.cs")));
        Snapshot.Verify("new\n", _directory, "case", onCi: true, acceptRequested: false);
    }
}
