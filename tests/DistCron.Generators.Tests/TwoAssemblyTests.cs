using DistCron.Generators.Tests.Infrastructure;
using Microsoft.CodeAnalysis;

namespace DistCron.Generators.Tests;

/// <summary>Two assemblies with jobs, one seeing the other's internals, compile together without clash or warning.</summary>
public class TwoAssemblyTests
{
    [Fact]
    public void Assemblies_with_internals_visible_to_each_other_do_not_clash()
    {
        var library = TestCompilation.Create("Contoso.Jobs", """
            using System.Runtime.CompilerServices;
            using DistCron;

            [assembly: InternalsVisibleTo("Contoso.App")]

            namespace Contoso.Jobs;

            internal static class LibraryJobs
            {
                [DistributedCron("0 4 * * *")]
                internal static void Compact() { }
            }
            """);
        var (libraryResult, libraryOutput) = TestCompilation.Generate(library);
        Assert.Empty(TestCompilation.CompilerProblems(libraryOutput));
        var libraryImage = TestCompilation.Emit(libraryOutput);

        var app = TestCompilation.Create("Contoso.App", new[]
        {
            """
            using System.Collections.Generic;
            using DistCron;

            namespace Contoso.App;

            internal static class AppJobs
            {
                [DistributedCron("0 5 * * *")]
                internal static void Report() { }

                // The explicit alternative to the module initializer: each assembly's table is reachable by name.
                internal static IReadOnlyList<JobDefinition> All() =>
                    new List<JobDefinition>(DistCron.Generated.DistCronJobs_Contoso_Jobs_c22d6efa.Definitions);
            }
            """,
        }, new[] { MetadataReference.CreateFromImage(libraryImage) });
        var (appResult, appOutput) = TestCompilation.Generate(app);

        // CS0436 (type conflicts with imported type) would be a warning: CompilerProblems includes warnings.
        Assert.Empty(TestCompilation.CompilerProblems(appOutput));
        TestCompilation.Emit(appOutput);
        Snapshot.Verify(TestCompilation.GeneratedText(libraryResult)!, "TwoAssemblies.Library");
        Snapshot.Verify(TestCompilation.GeneratedText(appResult)!, "TwoAssemblies.App");
    }

    [Fact]
    public void An_assembly_without_jobs_gets_no_file()
    {
        var (result, _) = TestCompilation.Generate(TestCompilation.Create("Empty", "namespace Empty; public static class Nothing { public static void Run() { } }"));
        Assert.Null(TestCompilation.GeneratedText(result));
    }
}
