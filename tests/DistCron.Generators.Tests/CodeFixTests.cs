using DistCron.CodeFixes;
using DistCron.Generators.Tests.Infrastructure;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;

namespace DistCron.Generators.Tests;

/// <summary>
/// Each code fix, run by the Roslyn code-fix test harness: the analyzer reports the diagnostic at the marked span
/// with its fix data, the fix at <c>index</c> rewrites the document to exactly the expected text, and the result has
/// no DistCron diagnostic left.
/// </summary>
public class CodeFixTests
{
    private const string Usings = "using DistCron;\nnamespace T;\n";

    public static TheoryData<string, int, string> Cases => new()
    {
        // DCRON0003: the suggested spelling of a time zone.
        {
            """public static class C { [DistributedCron("0 * * * *", TimeZone = {|DCRON0003:"America/New York"|})] public static void Job() { } }""",
            0, """public static class C { [DistributedCron("0 * * * *", TimeZone = "America/New_York")] public static void Job() { } }"""
        },
        // DCRON0018: UTC for an empty zone; the id without its invisible character when that is a known one.
        {
            """public static class C { [DistributedCron("0 * * * *", TimeZone = {|DCRON0018:""|})] public static void Job() { } }""",
            0, """public static class C { [DistributedCron("0 * * * *", TimeZone = "UTC")] public static void Job() { } }"""
        },
        {
            """public static class C { [DistributedCron("0 * * * *", TimeZone = {|DCRON0018:"Europe/Paris\u200b"|})] public static void Job() { } }""",
            0, """public static class C { [DistributedCron("0 * * * *", TimeZone = "Europe/Paris")] public static void Job() { } }"""
        },
        // DCRON0001: the year field dropped (Quartz's 7th field).
        {
            """public static class C { [DistributedCron({|DCRON0001:"0 0 12 ? * MON 2025"|})] public static void Job() { } }""",
            0, """public static class C { [DistributedCron("0 0 12 ? * MON")] public static void Job() { } }"""
        },
        // DCRON0001: a year where day-of-week belongs becomes '*' (dropping it would leave "0 30 9 * *", hour 30).
        {
            """public static class C { [DistributedCron({|DCRON0001:"0 30 9 * * 2025"|})] public static void Job() { } }""",
            0, """public static class C { [DistributedCron("0 30 9 * * *")] public static void Job() { } }"""
        },
        // DCRON0001: seconds written last: drop them, or move them to the front.
        {
            """public static class C { [DistributedCron({|DCRON0001:"0 12 * * 1 30"|})] public static void Job() { } }""",
            0, """public static class C { [DistributedCron("0 12 * * 1")] public static void Job() { } }"""
        },
        {
            """public static class C { [DistributedCron({|DCRON0001:"0 12 * * 1 30"|})] public static void Job() { } }""",
            1, """public static class C { [DistributedCron("30 0 12 * * 1")] public static void Job() { } }"""
        },
        // DCRON0015: Quartz day numbers as names, in either numbering, and '*' for '?'.
        {
            """public static class C { [DistributedCron({|DCRON0015:"0 12 ? * 2-6"|})] public static void Job() { } }""",
            0, """public static class C { [DistributedCron("0 12 * * MON-FRI")] public static void Job() { } }"""
        },
        {
            """public static class C { [DistributedCron({|DCRON0015:"0 0 12 ? * 2-6"|})] public static void Job() { } }""",
            1, """public static class C { [DistributedCron("0 0 12 * * TUE-SAT")] public static void Job() { } }"""
        },
        // DCRON0012: a Name when the default one (Namespace.Type.Method) is not a valid job name.
        {
            """public static class Café { [DistributedCron("0 * * * *")] public static void {|DCRON0012:Job|}() { } }""",
            0, """public static class Café { [DistributedCron("0 * * * *", Name = "T.Cafe.Job")] public static void Job() { } }"""
        },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task The_fix_writes_exactly_the_expected_code(string markup, int index, string fixedCode)
    {
        var test = new CSharpCodeFixTest<DistCronAnalyzer, DistCronCodeFixProvider, DefaultVerifier>
        {
            TestCode = Usings + markup,
            FixedCode = Usings + fixedCode,
            CodeActionIndex = index,
            // The framework and DistCron of this test run: no reference-assembly download.
            ReferenceAssemblies = new ReferenceAssemblies("net10.0"),
        };
        test.TestState.AdditionalReferences.AddRange(TestCompilation.FrameworkAndDistCron);
        await test.RunAsync();
    }

    [Fact]
    public async Task A_schedule_that_is_not_a_literal_is_left_to_the_user()
    {
        // The fix rewrites string literals only: a constant may be shared by other jobs.
        var test = new CSharpCodeFixTest<DistCronAnalyzer, DistCronCodeFixProvider, DefaultVerifier>
        {
            TestCode = Usings + """public static class C { const string S = "0 12 * * 1 30"; [DistributedCron({|DCRON0001:S|})] public static void Job() { } }""",
            FixedCode = Usings + """public static class C { const string S = "0 12 * * 1 30"; [DistributedCron({|DCRON0001:S|})] public static void Job() { } }""",
            ReferenceAssemblies = new ReferenceAssemblies("net10.0"),
        };
        test.TestState.AdditionalReferences.AddRange(TestCompilation.FrameworkAndDistCron);
        await test.RunAsync();
    }
}
