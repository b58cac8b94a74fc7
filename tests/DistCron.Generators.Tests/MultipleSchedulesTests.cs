using DistCron.Generators.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.Extensions.DependencyInjection;

namespace DistCron.Generators.Tests;

/// <summary>
/// Several <c>[DistributedCron]</c> attributes on one method: one named job per attribute, DCRON0020 on an attribute
/// without a Name, and DCRON0011 for a name used twice, whether by two attributes of one method or by two methods.
/// </summary>
public class MultipleSchedulesTests
{
    private const string Usings = "using System; using System.Collections.Generic; using DistCron;\nnamespace T;\n";

    [Fact]
    public async Task Each_attribute_is_a_job_of_its_own_and_its_run_sees_its_own_name()
    {
        var compilation = TestCompilation.Create("Multi", Usings + """
            public static class Log { public static readonly List<string> Lines = new(); }
            public static class Reports
            {
                [DistributedCron("0 * * * *", Name = "report.hourly")]
                [DistributedCron("30 6 * * MON-FRI", Name = "report.weekday-morning", TimeZone = "Europe/Paris", MaxRetries = 2)]
                public static void Send(JobContext context) => Log.Lines.Add(context.JobName);
            }
            """);
        Assert.Empty(await TestCompilation.AnalyzeAsync(compilation));

        var (result, output) = TestCompilation.Generate(compilation);
        Assert.Empty(TestCompilation.CompilerProblems(output));
        Assert.Empty(result.Diagnostics);
        var definitions = StartUp.Definitions(output);
        Assert.Null(StartUp.Refusal(definitions));
        Assert.Equal(
            new[] { ("report.hourly", "0 * * * *", "UTC", 0), ("report.weekday-morning", "30 6 * * MON-FRI", "Europe/Paris", 2) },
            definitions.Select(d => (d.Name, d.Schedule, d.TimeZone, d.MaxRetries)));
        Assert.All(definitions, d => Assert.Equal(("T.Reports", "Send"), (d.DeclaringType, d.MethodName)));
        Assert.NotEqual(definitions[0].DefinitionHash, definitions[1].DefinitionHash);

        // Each registration calls the method directly with its own context: the method tells its jobs apart by name.
        await using var services = new ServiceCollection().BuildServiceProvider();
        foreach (var definition in definitions.Reverse())
        {
            await definition.Invoker(services, new JobContext(definition.Name, DateTimeOffset.UnixEpoch, "node", 1, 1), CancellationToken.None);
        }

        var lines = (List<string>)definitions[0].Invoker.Method.Module.Assembly.GetType("T.Log")!.GetField("Lines")!.GetValue(null)!;
        Assert.Equal(new[] { "report.weekday-morning", "report.hourly" }, lines);
    }

    [Fact]
    public async Task An_attribute_without_a_Name_on_a_method_with_several_is_DCRON0020_at_that_attribute_and_refused_at_start()
    {
        var source = Usings + """
            public static class Reports
            {
                [DistributedCron("0 * * * *", Name = "report.hourly")]
                [DistributedCron("0 0 * * *")]
                public static void Send() { }

                [DistributedCron("*/5 * * * *"), DistributedCron("*/7 * * * *")]
                public static void Poll() { }
            }
            """;
        var compilation = TestCompilation.Create("Multi", source);
        Assert.DoesNotContain(compilation.GetDiagnostics(), d => d.Severity == DiagnosticSeverity.Error);

        var diagnostics = await TestCompilation.AnalyzeAsync(compilation);
        Assert.Equal(
            new[]
            {
                ("DCRON0020", "DistributedCron(\"0 0 * * *\")", "Method 'T.Reports.Send' has 2 [DistributedCron] attributes: each one is a job of its own and needs a Name of its own, but this one has none; add Name = \"...\" to it (the method reads JobContext.JobName to tell which job is running)"),
                ("DCRON0020", "DistributedCron(\"*/5 * * * *\")", "Method 'T.Reports.Poll' has 2 [DistributedCron] attributes: each one is a job of its own and needs a Name of its own, but this one has none; add Name = \"...\" to it (the method reads JobContext.JobName to tell which job is running)"),
                ("DCRON0020", "DistributedCron(\"*/7 * * * *\")", "Method 'T.Reports.Poll' has 2 [DistributedCron] attributes: each one is a job of its own and needs a Name of its own, but this one has none; add Name = \"...\" to it (the method reads JobContext.JobName to tell which job is running)"),
            },
            diagnostics.OrderBy(d => d.Location.SourceSpan.Start).Select(d => (d.Id, source.Substring(d.Location.SourceSpan.Start, d.Location.SourceSpan.Length), d.GetMessage())));
        Assert.All(diagnostics, d => Assert.Equal(DiagnosticSeverity.Error, d.Severity));
        Assert.Equal("https://github.com/distcron/distcron/blob/main/docs/diagnostics/DCRON0020.md", diagnostics[0].Descriptor.HelpLinkUri);

        // The named job is generated as usual; each unnamed one is a refused definition that stops the host at start
        // with this diagnostic, so no build switch can make a schedule silently disappear.
        var (result, output) = TestCompilation.Generate(compilation);
        Assert.Empty(TestCompilation.CompilerProblems(output));
        var generated = TestCompilation.GeneratedText(result)!;
        Assert.Contains("Invoke0(", generated);
        Assert.DoesNotContain("Invoke1(", generated);
        var definitions = StartUp.Definitions(output);
        Assert.Equal(4, definitions.Count);
        var refusal = StartUp.Refusal(definitions)!;
        Assert.Equal(3, refusal.Count(f => f.Contains(": DCRON0020: Method 'T.Reports.", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_partial_method_with_an_attribute_on_each_part_is_two_jobs_and_both_need_a_name()
    {
        var named = TestCompilation.Create("Multi", Usings + """
            public static partial class Reports
            {
                [DistributedCron("0 * * * *", Name = "report.hourly")] public static partial void Send();
                [DistributedCron("0 0 * * *", Name = "report.daily")] public static partial void Send() { }
            }
            """);
        Assert.Empty(await TestCompilation.AnalyzeAsync(named));
        var (_, output) = TestCompilation.Generate(named);
        Assert.Empty(TestCompilation.CompilerProblems(output));
        Assert.Equal(new[] { "report.daily", "report.hourly" }, StartUp.Definitions(output).Select(d => d.Name));

        var unnamed = TestCompilation.Create("Multi", Usings + """
            public static partial class Reports
            {
                [DistributedCron("0 * * * *", Name = "report.hourly")] public static partial void Send();
                [DistributedCron("0 0 * * *")] public static partial void Send() { }
            }
            """);
        Assert.Equal("DCRON0020", Assert.Single(await TestCompilation.AnalyzeAsync(unnamed)).Id);
        Assert.Contains(StartUp.Refusal(StartUp.Definitions(TestCompilation.Generate(unnamed).Output))!, f => f.Contains(": DCRON0020: ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task One_attribute_alone_keeps_its_default_name()
    {
        var compilation = TestCompilation.Create("Multi", Usings + """
            public static class Reports { [DistributedCron("0 * * * *")] public static void Send() { } }
            """);
        Assert.Empty(await TestCompilation.AnalyzeAsync(compilation));
        Assert.Equal("T.Reports.Send", Assert.Single(StartUp.Definitions(TestCompilation.Generate(compilation).Output)).Name);
    }

    [Fact]
    public async Task A_name_used_by_two_attributes_or_by_an_attribute_and_another_method_is_DCRON0011_on_each()
    {
        var source = Usings + """
            public static class Reports
            {
                [DistributedCron("0 * * * *", Name = "report")]
                [DistributedCron("0 0 * * *", Name = "report")]
                [DistributedCron("0 12 * * *", Name = "digest")]
                public static void Send() { }

                [DistributedCron("5 * * * *", Name = "digest")]
                public static void Other() { }
            }
            """;
        var compilation = TestCompilation.Create("Multi", source);
        var diagnostics = await TestCompilation.AnalyzeAsync(compilation);
        Assert.Equal(
            new[]
            {
                ("\"report\"", "Job name \"report\" is declared 2 times in this assembly (Reports.Send (2 attributes)); give each job a unique Name"),
                ("\"report\"", "Job name \"report\" is declared 2 times in this assembly (Reports.Send (2 attributes)); give each job a unique Name"),
                ("\"digest\"", "Job name \"digest\" is declared 2 times in this assembly (Reports.Send, Reports.Other); give each job a unique Name"),
                ("\"digest\"", "Job name \"digest\" is declared 2 times in this assembly (Reports.Send, Reports.Other); give each job a unique Name"),
            },
            diagnostics.OrderBy(d => d.Location.SourceSpan.Start).Select(d => (source.Substring(d.Location.SourceSpan.Start, d.Location.SourceSpan.Length), d.GetMessage())));
        Assert.All(diagnostics, d => Assert.Equal("DCRON0011", d.Id));
        // Each at its own attribute's Name argument.
        Assert.Equal(4, diagnostics.Select(d => d.Location.SourceSpan.Start).Distinct().Count());

        var definitions = StartUp.Definitions(TestCompilation.Generate(compilation).Output);
        Assert.Equal(new[] { "digest", "digest", "report", "report" }, definitions.Select(d => d.Name));
        Assert.NotNull(StartUp.Refusal(definitions));
    }

    [Fact]
    public void The_generated_table_does_not_depend_on_the_order_of_the_attributes()
    {
        static string Generate(string first, string second) => TestCompilation.GeneratedText(TestCompilation.Generate(TestCompilation.Create("Multi", Usings + $$"""
            public static class Reports { {{first}} {{second}} public static void Send() { } }
            """)).Result)!;

        const string Hourly = """[DistributedCron("0 * * * *", Name = "b.hourly")]""";
        const string Daily = """[DistributedCron("0 0 * * *", Name = "a.daily")]""";
        var generated = Generate(Hourly, Daily);
        Assert.Equal(generated, Generate(Daily, Hourly));
        Assert.True(generated.IndexOf("\"a.daily\"", StringComparison.Ordinal) < generated.IndexOf("\"b.hourly\"", StringComparison.Ordinal));
    }
}
