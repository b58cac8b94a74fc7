using System.Collections;
using System.Collections.Immutable;
using DistCron.Generators.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace DistCron.Generators.Tests;

/// <summary>The generator's pipeline caches: unrelated edits reuse everything, one changed job changes one model.</summary>
public class IncrementalTests
{
    private static readonly string[] TrackedSteps =
    {
        DistCronGenerator.Steps.Jobs, DistCronGenerator.Steps.AssemblyName, DistCronGenerator.Steps.ReferencedJobClasses,
        DistCronGenerator.Steps.Assembly,
    };

    // The attribute pipeline: what an edit to an appsettings file must leave alone.
    private static readonly string[] AttributeSteps =
    {
        DistCronGenerator.Steps.Jobs, DistCronGenerator.Steps.AssemblyName, DistCronGenerator.Steps.ReferencedJobClasses,
        DistCronGenerator.Steps.Assembly,
    };

    private static string JobFile(int i, string schedule = "0 * * * *") => $$"""
        using DistCron;
        namespace Inc;
        public static class Jobs{{i}}
        {
            [DistributedCron("{{schedule}}")]
            public static void Run() { }
        }
        """;

    [Fact]
    public void An_unrelated_edit_leaves_every_step_cached_or_unchanged()
    {
        var compilation = TestCompilation.Create("Inc", Enumerable.Range(0, 5).Select(i => JobFile(i)).Append("namespace Inc; public static class Helper { public static int Value => 1; }").ToArray(), Array.Empty<MetadataReference>());
        var driver = CreateDriver().RunGenerators(compilation);

        var helper = compilation.SyntaxTrees.Last();
        var edited = compilation.ReplaceSyntaxTree(helper, helper.WithChangedText(helper.GetText().Replace(helper.GetText().ToString().IndexOf('1'), 1, "2")));
        var second = driver.RunGenerators(edited).GetRunResult().Results.Single();

        foreach (var step in TrackedSteps)
        {
            var outputs = second.TrackedSteps[step].SelectMany(s => s.Outputs).ToList();
            Assert.NotEmpty(outputs);
            Assert.All(outputs, o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{step}: {o.Reason}"));
        }

        Assert.All(second.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs),
            o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
    }

    [Fact]
    public void Editing_one_attribute_argument_changes_only_that_jobs_model()
    {
        var compilation = TestCompilation.Create("Inc", Enumerable.Range(0, 5).Select(i => JobFile(i)).ToArray());
        var driver = CreateDriver().RunGenerators(compilation);

        var target = compilation.SyntaxTrees.ElementAt(2);
        var edited = compilation.ReplaceSyntaxTree(target, CSharpSyntaxTree.ParseText(JobFile(2, "30 * * * *"), TestCompilation.ParseOptions, target.FilePath));
        var result = driver.RunGenerators(edited).GetRunResult().Results.Single();

        var jobOutputs = result.TrackedSteps[DistCronGenerator.Steps.Jobs].SelectMany(s => s.Outputs).ToList();
        var modified = Assert.Single(jobOutputs, o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.Contains("30 * * * *", modified.Value.ToString());
        Assert.All(jobOutputs.Where(o => o.Reason != IncrementalStepRunReason.Modified),
            o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, o.Reason.ToString()));
        Assert.Equal(IncrementalStepRunReason.Modified, result.TrackedSteps[DistCronGenerator.Steps.Assembly].Single().Outputs.Single().Reason);
        Assert.Contains("\"30 * * * *\"", result.GeneratedSources.Single().SourceText.ToString());
    }

    private static string MultiFile(string second) => $$"""
        using DistCron;
        namespace Inc;
        public static class Multi
        {
            [DistributedCron("0 * * * *", Name = "multi.hourly")]
            [DistributedCron("{{second}}", Name = "multi.daily")]
            public static void Run(JobContext context) { }
        }
        """;

    [Fact]
    public void Editing_one_attribute_of_a_method_with_several_changes_only_that_methods_models()
    {
        var compilation = TestCompilation.Create("Inc", Enumerable.Range(0, 3).Select(i => JobFile(i)).Append(MultiFile("0 0 * * *")).ToArray());
        var driver = CreateDriver().RunGenerators(compilation);

        var target = compilation.SyntaxTrees.Last();
        var edited = compilation.ReplaceSyntaxTree(target, CSharpSyntaxTree.ParseText(MultiFile("0 6 * * *"), TestCompilation.ParseOptions, target.FilePath));
        var result = driver.RunGenerators(edited).GetRunResult().Results.Single();

        // One output per method, holding one model per attribute: the edited method's, both schedules in it.
        var jobOutputs = result.TrackedSteps[DistCronGenerator.Steps.Jobs].SelectMany(s => s.Outputs).ToList();
        var modified = Assert.Single(jobOutputs, o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.Contains("0 6 * * *", modified.Value.ToString());
        Assert.Contains("multi.hourly", modified.Value.ToString());
        Assert.All(jobOutputs.Where(o => o.Reason != IncrementalStepRunReason.Modified),
            o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, o.Reason.ToString()));
        Assert.Equal(IncrementalStepRunReason.Modified, result.TrackedSteps[DistCronGenerator.Steps.Assembly].Single().Outputs.Single().Reason);
        var generated = result.GeneratedSources.Single().SourceText.ToString();
        Assert.Contains("Job(\"multi.daily\", \"0 6 * * *\"", generated);
        Assert.Contains("Job(\"multi.hourly\", \"0 * * * *\"", generated);

        // An edit elsewhere in the file that leaves both attributes alone reuses the method's models and the output.
        var again = edited.ReplaceSyntaxTree(edited.SyntaxTrees.Last(), CSharpSyntaxTree.ParseText(MultiFile("0 6 * * *") + "\n// edited", TestCompilation.ParseOptions, target.FilePath));
        var third = driver.RunGenerators(edited).RunGenerators(again).GetRunResult().Results.Single();
        Assert.All(third.TrackedSteps[DistCronGenerator.Steps.Jobs].SelectMany(s => s.Outputs),
            o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, o.Reason.ToString()));
        Assert.All(third.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs),
            o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
    }

    [Fact]
    public void Step_outputs_hold_no_symbols_syntax_compilations_or_locations()
    {
        var compilation = TestCompilation.Create("Inc", JobFile(0), JobFile(1));
        var result = CreateDriver().RunGenerators(compilation).GetRunResult().Results.Single();
        foreach (var step in TrackedSteps)
        {
            foreach (var output in result.TrackedSteps[step].SelectMany(s => s.Outputs))
            {
                AssertPlainData(output.Value, step, depth: 0);
            }
        }
    }

    private static string Settings(string schedule) => $$"""
        {
          // Overrides of this deployment.
          "DistCron": { "Jobs": { "Inc.Jobs0.Run": { "Schedule": "{{schedule}}" } } }
        }
        """;

    private const string ProgrammaticJob = """
        using DistCron;
        using System.Threading.Tasks;
        namespace Inc;
        public static class Setup
        {
            public static void Configure(DistCronOptions o) => o.AddJob("inc.programmatic", "0 6 * * *", static (c, s, t) => Task.CompletedTask);
        }
        """;

    [Fact]
    public void An_edit_to_code_does_not_read_the_appsettings_files_again()
    {
        var compilation = TestCompilation.Create("Inc", Enumerable.Range(0, 3).Select(i => JobFile(i)).Append(ProgrammaticJob).ToArray());
        var driver = AppSettings.CreateDriver(new InMemoryAdditionalText("/app/appsettings.json", Settings("61 * * * *")),
            new InMemoryAdditionalText("/app/appsettings.Production.json", Settings("0 * * * *"))).RunGenerators(compilation);

        var target = compilation.SyntaxTrees.ElementAt(1);
        var edited = compilation.ReplaceSyntaxTree(target, CSharpSyntaxTree.ParseText(JobFile(1, "30 * * * *"), TestCompilation.ParseOptions, target.FilePath));
        var result = driver.RunGenerators(edited).GetRunResult();
        var run = result.Results.Single();

        var files = run.TrackedSteps[DistCronGenerator.Steps.AppSettings].SelectMany(s => s.Outputs).ToList();
        Assert.Equal(2, files.Count);
        Assert.All(files, o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
        // The names did not change, so neither did the check of the files: the diagnostic is the cached one.
        Assert.Equal(IncrementalStepRunReason.Unchanged, run.TrackedSteps[DistCronGenerator.Steps.DeclaredJobNames].Single().Outputs.Single().Reason);
        Assert.Equal("DCRON0001", Assert.Single(result.Diagnostics).Id);
    }

    [Fact]
    public void An_edit_to_an_appsettings_file_leaves_the_attribute_pipeline_cached_and_rechecks_only_that_file()
    {
        var compilation = TestCompilation.Create("Inc", Enumerable.Range(0, 3).Select(i => JobFile(i)).Append(ProgrammaticJob).ToArray());
        var production = new InMemoryAdditionalText("/app/appsettings.Production.json", Settings("0 * * * *"));
        var driver = AppSettings.CreateDriver(new InMemoryAdditionalText("/app/appsettings.json", Settings("0 * * * *")), production).RunGenerators(compilation);
        Assert.Empty(driver.GetRunResult().Diagnostics);

        var second = driver.ReplaceAdditionalText(production, new InMemoryAdditionalText(production.Path, Settings("61 * * * *"))).RunGenerators(compilation);
        var result = second.GetRunResult();
        var run = result.Results.Single();

        foreach (var step in AttributeSteps.Append(DistCronGenerator.Steps.ProgrammaticJobs).Append(DistCronGenerator.Steps.DeclaredJobNames))
        {
            Assert.All(run.TrackedSteps[step].SelectMany(s => s.Outputs), o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
        }

        var files = run.TrackedSteps[DistCronGenerator.Steps.AppSettings].SelectMany(s => s.Outputs).ToList();
        Assert.Single(files, o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.Single(files, o => o.Reason == IncrementalStepRunReason.Cached);
        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal("DCRON0001", diagnostic.Id);
        Assert.Equal("/app/appsettings.Production.json", diagnostic.Location.GetLineSpan().Path);
        foreach (var step in new[] { DistCronGenerator.Steps.AppSettings, DistCronGenerator.Steps.ProgrammaticJobs })
        {
            foreach (var output in run.TrackedSteps[step].SelectMany(s => s.Outputs)) AssertPlainData(output.Value, step, depth: 0);
        }
    }

    private static void AssertPlainData(object? value, string path, int depth)
    {
        if (value is null || value is string || value.GetType().IsPrimitive || value.GetType().IsEnum || depth > 6)
        {
            return;
        }

        Assert.False(value is ISymbol or SyntaxNode or Compilation or Location or SemanticModel or SyntaxTree, $"{path} holds a {value.GetType().Name}");
        if (value is IEnumerable items)
        {
            foreach (var item in items) AssertPlainData(item, path + "[]", depth + 1);
        }

        foreach (var property in value.GetType().GetProperties().Where(p => p.GetIndexParameters().Length == 0 && p.DeclaringType?.Namespace?.StartsWith("System", StringComparison.Ordinal) != true))
        {
            AssertPlainData(property.GetValue(value), path + "." + property.Name, depth + 1);
        }

        if (value.GetType().IsGenericType && value.GetType().GetGenericTypeDefinition() == typeof(ValueTuple<,>))
        {
            AssertPlainData(value.GetType().GetField("Item1")!.GetValue(value), path + ".Item1", depth + 1);
            AssertPlainData(value.GetType().GetField("Item2")!.GetValue(value), path + ".Item2", depth + 1);
        }
    }

    private static GeneratorDriver CreateDriver() =>
        CSharpGeneratorDriver.Create(
            new[] { new DistCronGenerator().AsSourceGenerator() },
            parseOptions: TestCompilation.ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));
}
