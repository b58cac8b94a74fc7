using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Runtime.CompilerServices;
using System.Runtime.Loader;
using DistCron.Generators.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace DistCron.Generators.Tests;

/// <summary>
/// Jobs of a referenced assembly are registered by the consumer's own module initializer, so an app finds a job
/// library it references but never touches (the compiler drops metadata references the code does not use).
/// </summary>
public class ReferencedAssemblyTests
{
    private static string LibrarySource(string ns, string jobName) => $$"""
        using DistCron;
        namespace {{ns}};
        public static class LibraryJobs
        {
            [DistributedCron("0 4 * * *", Name = "{{jobName}}")]
            public static void Compact() { }
        }
        """;

    private static byte[] CompileLibrary(string assemblyName, string jobName)
    {
        var (_, output) = TestCompilation.Generate(TestCompilation.Create(assemblyName, LibrarySource("Lib" + Guid.NewGuid().ToString("N"), jobName)));
        Assert.Empty(TestCompilation.CompilerProblems(output));
        return TestCompilation.Emit(output);
    }

    [Fact]
    public void An_app_without_jobs_that_never_touches_a_job_library_still_registers_its_jobs()
    {
        var libraryName = "Referenced.Untouched.Library";
        var library = CompileLibrary(libraryName, "untouched:compact");
        var app = TestCompilation.Create("Referenced.Untouched.App", new[]
        {
            "namespace App; public static class Program { public static int Main() => 0; }",
        }, new[] { MetadataReference.CreateFromImage(library) });

        var (result, output) = TestCompilation.Generate(app);
        var text = TestCompilation.GeneratedText(result);
        Assert.NotNull(text);
        Assert.Contains("global::" + TestCompilation.JobsClassName(libraryName) + ".Register();", text);
        Assert.DoesNotContain("public static class DistCronJobs_", text); // no jobs of its own: no table
        Assert.Empty(TestCompilation.CompilerProblems(output));
        var image = TestCompilation.Emit(output);

        // Without the generated call the compiler would not even record the reference in the app's metadata.
        Assert.Contains(libraryName, AssemblyReferences(image));
        Assert.DoesNotContain(DistCronJobRegistry.GetAll(), d => d.Name == "untouched:compact");

        var context = new LibraryLoadContext(libraryName, library);
        var loaded = context.LoadFromStream(new MemoryStream(image));
        RuntimeHelpers.RunModuleConstructor(loaded.ManifestModule.ModuleHandle);

        var job = Assert.Single(DistCronJobRegistry.GetAll(), d => d.Name == "untouched:compact");
        Assert.Equal("0 4 * * *", job.Schedule);
        Assert.True(context.LibraryLoads > 0);
    }

    [Fact]
    public void A_referenced_job_library_missing_at_run_time_does_not_break_the_app()
    {
        var library = CompileLibrary("Referenced.Missing.Library", "missing:compact");
        var app = TestCompilation.Create("Referenced.Missing.App", new[]
        {
            "namespace App; public static class Answer { public static int Value() => 42; }",
        }, new[] { MetadataReference.CreateFromImage(library) });
        var (_, output) = TestCompilation.Generate(app);
        var image = TestCompilation.Emit(output);

        // The context cannot find the library (as when a compile-only reference is not deployed).
        var context = new LibraryLoadContext("Not.The.Library", library);
        var loaded = context.LoadFromStream(new MemoryStream(image));
        RuntimeHelpers.RunModuleConstructor(loaded.ManifestModule.ModuleHandle);
        Assert.Equal(42, loaded.GetType("App.Answer")!.GetMethod("Value")!.Invoke(null, null));
        Assert.DoesNotContain(DistCronJobRegistry.GetAll(), d => d.Name == "missing:compact");
    }

    [Fact]
    public void The_consumer_registers_own_and_referenced_jobs_in_order_and_marks_nothing()
    {
        var library = CompileLibrary("Referenced.Marked.Library", "marked:compact");
        var app = TestCompilation.Create("Referenced.Marked.App", new[]
        {
            """
            using DistCron;
            namespace App;
            public static class AppJobs
            {
                [DistributedCron("0 5 * * *")]
                public static void Report() { }
            }
            """,
        }, new[] { MetadataReference.CreateFromImage(library) });

        var (result, output) = TestCompilation.Generate(app);
        var text = TestCompilation.GeneratedText(result)!;
        // The library's table is found by the name the generator gives it: no assembly attribute is written.
        Assert.DoesNotContain("[assembly:", text);
        var own = text.IndexOf("global::" + TestCompilation.JobsClassName("Referenced.Marked.App") + ".Register();", StringComparison.Ordinal);
        var referenced = text.IndexOf("global::" + TestCompilation.JobsClassName("Referenced.Marked.Library") + ".Register();", StringComparison.Ordinal);
        Assert.True(own > 0 && referenced > own, text);
        Assert.Empty(TestCompilation.CompilerProblems(output));
    }

    [Fact]
    public void Assembly_names_differing_only_in_punctuation_get_distinct_classes()
    {
        var dotted = CompileLibrary("My.App", "dotted:compact");
        var underscored = CompileLibrary("My_App", "underscored:compact");
        Assert.NotEqual(TestCompilation.JobsClassName("My.App"), TestCompilation.JobsClassName("My_App"));

        var app = TestCompilation.Create("Punctuation.Consumer", new[]
        {
            $$"""
            using System.Collections.Generic;
            using DistCron;
            namespace Consumer;
            public static class Both
            {
                public static int Count() =>
                    global::{{TestCompilation.JobsClassName("My.App")}}.Definitions.Count
                    + global::{{TestCompilation.JobsClassName("My_App")}}.Definitions.Count;
            }
            """,
        }, new[] { MetadataReference.CreateFromImage(dotted), MetadataReference.CreateFromImage(underscored) });

        var (result, output) = TestCompilation.Generate(app);
        // CS0433 (same type in two assemblies) would be an error here.
        Assert.Empty(TestCompilation.CompilerProblems(output));
        var text = TestCompilation.GeneratedText(result)!;
        Assert.Contains(TestCompilation.JobsClassName("My.App") + ".Register();", text);
        Assert.Contains(TestCompilation.JobsClassName("My_App") + ".Register();", text);
        TestCompilation.Emit(output);
    }

    [Fact]
    public void A_reference_behind_an_extern_alias_is_left_to_the_runtime()
    {
        var library = CompileLibrary("Referenced.Aliased.Library", "aliased:compact");
        var app = TestCompilation.Create("Referenced.Aliased.App", new[] { "namespace App; public static class Nothing { }" },
            new[] { MetadataReference.CreateFromImage(library).WithAliases(new[] { "lib" }) });
        var (result, output) = TestCompilation.Generate(app);
        Assert.Null(TestCompilation.GeneratedText(result));
        Assert.Empty(TestCompilation.CompilerProblems(output));
    }

    [Fact]
    public void An_edit_in_the_app_keeps_the_referenced_job_classes_cached()
    {
        var library = CompileLibrary("Referenced.Incremental.Library", "incremental:compact");
        var app = TestCompilation.Create("Referenced.Incremental.App", new[] { "namespace App; public static class Helper { public static int Value => 1; }" },
            new[] { MetadataReference.CreateFromImage(library) });
        GeneratorDriver driver = CSharpGeneratorDriver.Create(
            new[] { new DistCronGenerator().AsSourceGenerator() },
            parseOptions: TestCompilation.ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));
        driver = driver.RunGenerators(app);

        var tree = app.SyntaxTrees.Single();
        var edited = app.ReplaceSyntaxTree(tree, tree.WithChangedText(tree.GetText().Replace(tree.GetText().ToString().IndexOf('1'), 1, "2")));
        var second = driver.RunGenerators(edited).GetRunResult().Results.Single();

        var referenced = Assert.Single(second.TrackedSteps[DistCronGenerator.Steps.ReferencedJobClasses].SelectMany(s => s.Outputs));
        Assert.Equal(IncrementalStepRunReason.Unchanged, referenced.Reason);
        Assert.All(second.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs),
            o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
        Assert.Contains(TestCompilation.JobsClassName("Referenced.Incremental.Library"), second.GeneratedSources.Single().SourceText.ToString());
    }

    private static List<string> AssemblyReferences(byte[] image)
    {
        using var pe = new PEReader(new MemoryStream(image));
        var metadata = pe.GetMetadataReader();
        return metadata.AssemblyReferences.Select(h => metadata.GetString(metadata.GetAssemblyReference(h).Name)).ToList();
    }

    // Resolves the in-memory library by name, as the default context resolves a deployed one; DistCron itself
    // comes from the default context, so registrations land in the registry this test reads.
    private sealed class LibraryLoadContext(string libraryName, byte[] library) : AssemblyLoadContext(nameof(LibraryLoadContext), isCollectible: true)
    {
        public int LibraryLoads { get; private set; }

        protected override Assembly? Load(AssemblyName assemblyName)
        {
            if (assemblyName.Name != libraryName) return null;
            LibraryLoads++;
            return LoadFromStream(new MemoryStream(library));
        }
    }
}
