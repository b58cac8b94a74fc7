using System.Reflection;
using System.Runtime.CompilerServices;

namespace DistCron.Tests.PublicApi;

/// <summary>
/// Each shipped assembly's public surface, reflected (every exported type and its public and protected members, with
/// signatures and nullability), must equal its committed <c>&lt;Assembly&gt;.PublicApi.txt</c>: a change to what users
/// can call is then a reviewed diff of that file, never an accident. To accept a deliberate change, run these tests
/// with DISTCRON_ACCEPT_PUBLIC_API=1 (never honoured under CI=true) and commit the file.
/// </summary>
public sealed class PublicApiTests
{
    /// <summary>The assemblies whose surface is tracked, each by a type it exports; the baseline is named after it.</summary>
    public static TheoryData<string> Assemblies => ["DistCron", "DistCron.Dashboard"];

    [Theory]
    [MemberData(nameof(Assemblies))]
    public void Public_surface_matches_the_committed_baseline(string assemblyName)
    {
        var actual = PublicSurface.Describe(Tracked(assemblyName));
        var onCi = string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
        var accept = Environment.GetEnvironmentVariable("DISTCRON_ACCEPT_PUBLIC_API") == "1";
        Verify(actual, Path.Combine(SourceDirectory(), assemblyName + ".PublicApi.txt"), onCi, accept);
    }

    [Fact]
    public void The_dashboard_exports_only_its_mapping_extension_and_its_options()
    {
        // Everything else (pages, the JSON API's handlers, the change feed, HTML building) is an implementation detail
        // the dashboard must stay free to change.
        var exported = Tracked("DistCron.Dashboard").GetExportedTypes().Select(t => t.FullName).Order(StringComparer.Ordinal);
        Assert.Equal(["DistCron.Dashboard.DistCronDashboardOptions", "Microsoft.AspNetCore.Builder.DashboardEndpointRouteBuilderExtensions"], exported);
    }

    [Fact]
    public void The_store_contract_is_not_public()
    {
        var assembly = typeof(DistributedCronAttribute).Assembly;
        var exported = assembly.GetExportedTypes().Select(t => t.Name).ToHashSet();
        string[] internalContract =
        [
            "IJobStore", "SeedJob", "NodeInfo", "ClaimToken", "ClaimedJob", "ClaimRequest", "ClaimCursor", "ClaimBatch",
            "Completion", "JobStoreExtensions", "SqlNames", "PositionalSql", "Binder", "PostgresJobStore", "SqliteJobStore",
            "ResumeOutcome", "ErrorText",
        ];
        foreach (var name in internalContract) Assert.DoesNotContain(name, exported);
        Assert.DoesNotContain(assembly.GetExportedTypes(), t => t.Namespace?.StartsWith("DistCron.Storage", StringComparison.Ordinal) == true);
    }

    [Fact]
    public void Accepting_is_refused_under_CI_and_a_mismatch_fails_with_the_diff()
    {
        var file = Path.Combine(Path.GetTempPath(), $"distcron-api-{Guid.NewGuid():N}.txt");
        try
        {
            File.WriteAllText(file, "a\nb\n");
            var failure = Assert.ThrowsAny<Exception>(() => Verify("a\nc\n", file, onCi: true, accept: true));
            Assert.Contains("- b", failure.Message);
            Assert.Contains("+ c", failure.Message);
            Assert.Equal("a\nb\n", File.ReadAllText(file)); // untouched under CI

            Verify("a\nc\n", file, onCi: false, accept: true);
            Assert.Equal("a\nc\n", File.ReadAllText(file));
            Verify("a\nc\n", file, onCi: true, accept: false); // equal: passes
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static void Verify(string actual, string baselinePath, bool onCi, bool accept)
    {
        actual = actual.Replace("\r\n", "\n");
        var expected = File.Exists(baselinePath) ? File.ReadAllText(baselinePath).Replace("\r\n", "\n") : null;
        if (expected == actual) return;
        if (accept && !onCi)
        {
            File.WriteAllText(baselinePath, actual);
            return;
        }

        var expectedLines = (expected ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var actualLines = actual.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var removed = expectedLines.Except(actualLines, StringComparer.Ordinal).Select(l => "- " + l);
        var added = actualLines.Except(expectedLines, StringComparer.Ordinal).Select(l => "+ " + l);
        Assert.Fail(
            $"The public API differs from {baselinePath}:\n{string.Join('\n', removed.Concat(added))}\n" +
            (onCi
                ? "The baseline is never written under CI=true: accept the change locally and commit the file."
                : "If the change is deliberate, rerun this test with DISTCRON_ACCEPT_PUBLIC_API=1 and commit the file."));
    }

    private static Assembly Tracked(string assemblyName) => assemblyName switch
    {
        "DistCron" => typeof(DistributedCronAttribute).Assembly,
        "DistCron.Dashboard" => typeof(DistCron.Dashboard.DistCronDashboardOptions).Assembly,
        _ => throw new ArgumentOutOfRangeException(nameof(assemblyName), assemblyName, "Not a tracked assembly."),
    };

    private static string SourceDirectory([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}
