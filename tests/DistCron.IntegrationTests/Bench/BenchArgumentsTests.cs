using System.Reflection;
using DistCron.Tests.Infrastructure;

namespace DistCron.Tests.Bench;

/// <summary>
/// The benchmark harness refuses a command line it does not understand before it starts anything: a mistyped option
/// used to be ignored, and the default full run (a quarter of an hour) ran instead of what was asked.
/// </summary>
public sealed class BenchArgumentsTests
{
    [Theory]
    [InlineData("unknown option '--nodez'", "--nodez", "1,8")]
    [InlineData("option '--jobs' needs a value", "--smoke", "--jobs")]
    [InlineData("--jobs must be a positive whole number, not 'many'", "--jobs", "many")]
    [InlineData("unknown contender 'hangfire'", "--contenders", "distcron,hangfire")]
    public async Task A_bad_command_line_exits_2_naming_the_problem_and_the_valid_options(string problem, params string[] args)
    {
        var bench = typeof(BenchArgumentsTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "Bench").Value!;
        Assert.True(File.Exists(bench), $"the bench harness was not built at {bench}");

        // A harness that accepted the line would start a cluster and run for minutes: the timeout makes that a failure.
        var result = await ProcessRunner.RunAsync("dotnet", [bench, .. args], TimeSpan.FromSeconds(60));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(problem, result.Output);
        Assert.Contains("--nodes 1,2,4,8", result.Output); // the usage, with every valid option
        Assert.Contains("--contenders", result.Output);
        Assert.DoesNotContain("DistCron bench:", result.Output); // nothing started
    }
}
