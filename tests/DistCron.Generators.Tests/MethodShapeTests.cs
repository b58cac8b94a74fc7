using System.Reflection;
using DistCron.Generators.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace DistCron.Generators.Tests;

/// <summary>
/// Method shapes whose generated code once failed to compile (CS4003, CS8620, CS0618) or ignored what the method
/// declared (default values, nullable services): the output must compile without a single warning (nullable
/// enabled, as under TreatWarningsAsErrors) and each invoker must pass what the method asks for.
/// </summary>
public class MethodShapeTests
{
    private const string Source = """
        using System;
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        using DistCron;

        namespace Shapes.@await
        {
            public static class Log
            {
                public static readonly List<string> Lines = new();
            }

            public interface IClock { }

            public sealed class Clock : IClock { }

            public struct Point { }

            // Contextual keywords as method names, called from async invokers, in a namespace named 'await'.
            public static class Keywords
            {
                [DistributedCron("@hourly", Name = "k.await")] public static async Task @await() { await Task.Yield(); Log.Lines.Add("await ran"); }
                [DistributedCron("@hourly", Name = "k.async")] public static Task async() { Log.Lines.Add("async ran"); return Task.CompletedTask; }
                [DistributedCron("@hourly", Name = "k.var")] public static ValueTask var() { Log.Lines.Add("var ran"); return default; }
                [DistributedCron("@hourly", Name = "k.nameof")] public static void nameof() => Log.Lines.Add("nameof ran");
            }

            public sealed class InstanceKeywords
            {
                [DistributedCron("@hourly", Name = "k.instance-await")] public Task @await() { Log.Lines.Add("instance await ran"); return Task.CompletedTask; }
            }

            public static class Nullables
            {
                [DistributedCron("@hourly", Name = "n.type-arguments")]
                public static void TypeArguments(List<string?> list, Action<string?> action, IDictionary<string, object?> map) =>
                    Log.Lines.Add($"list={list.Count} map={map.Count}");

                [DistributedCron("@hourly", Name = "n.optional")]
                public static void Optional(IClock? clock, IDisposable? missing, Point? point, int retries = 3, string label = "a\"b", double ratio = 0.5,
                    DayOfWeek day = DayOfWeek.Friday, long? big = null, int? small = -7, decimal money = 1.25m, float f = 1.5f, char c = 'q', bool flag = true,
                    string? none = null, IClock? absent = null, CancellationToken cancellationToken = default) =>
                    Log.Lines.Add($"clock={clock is not null} missing={missing is null} point={point is null} retries={retries} label={label} ratio={ratio} day={day} big={big?.ToString() ?? "null"} small={small} money={money} f={f} c={c} flag={flag} none={none ?? "null"} absent={absent is null}");
            }

            public static class Obsoletes
            {
                // A warning-level [Obsolete] job is still a job; the generated call must not add CS0618.
                [Obsolete("use the new one")] [DistributedCron("@hourly", Name = "o.warning")] public static void Old() => Log.Lines.Add("obsolete ran");
            }

            public static partial class Partials
            {
                [DistributedCron("@hourly", Name = "p.partial")] public static partial void Declared();

                public static partial void Declared() => Log.Lines.Add("partial ran");
            }
        }
        """;

    [Fact]
    public async Task Every_shape_compiles_without_warnings_and_gets_what_it_declares()
    {
        var compilation = TestCompilation.Create("Shapes", Source);
        Assert.Empty(TestCompilation.CompilerProblems(compilation));
        Assert.Empty(await TestCompilation.AnalyzeAsync(compilation));

        var (_, output) = TestCompilation.Generate(compilation);
        Assert.Empty(TestCompilation.CompilerProblems(output));

        var definitions = StartUp.Definitions(output);
        Assert.Null(StartUp.Refusal(definitions));
        var assembly = definitions[0].Invoker.Method.Module.Assembly;
        var services = new ServiceCollection()
            .AddSingleton(assembly.GetType("Shapes.await.IClock")!, assembly.GetType("Shapes.await.Clock")!)
            .AddSingleton(new List<string?> { "x", null })
            .AddSingleton<Action<string?>>(_ => { })
            .AddSingleton<IDictionary<string, object?>>(new Dictionary<string, object?> { ["k"] = null });
        await using var provider = services.BuildServiceProvider();
        foreach (var definition in definitions)
        {
            await using var scope = provider.CreateAsyncScope();
            await definition.Invoker(scope.ServiceProvider, new JobContext(definition.Name, DateTimeOffset.UnixEpoch, "node-1", 1, 1), CancellationToken.None);
        }

        var log = (List<string>)assembly.GetType("Shapes.await.Log")!.GetField("Lines", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;
        Assert.Equal(
            new[]
            {
                "async ran", "await ran", "instance await ran", "nameof ran", "var ran",
                "clock=True missing=True point=True retries=3 label=a\"b ratio=0.5 day=Friday big=null small=-7 money=1.25 f=1.5 c=q flag=True none=null absent=False",
                "list=2 map=1",
                "obsolete ran", "partial ran",
            },
            log);
    }

    [Fact]
    public async Task A_partial_method_job_is_one_job_analyzed_once()
    {
        var compilation = TestCompilation.Create("Partial", """
            using DistCron;
            namespace P;
            public static partial class PartialMethods
            {
                [DistributedCron("0 * * * *", Name = "p")] public static partial void Declared();
            }
            """, """
            namespace P;
            public static partial class PartialMethods
            {
                public static partial void Declared() { }
            }
            """);
        Assert.Empty(await TestCompilation.AnalyzeAsync(compilation));
        var (_, output) = TestCompilation.Generate(compilation);
        Assert.Equal("p", Assert.Single(StartUp.Definitions(output)).Name);
    }
}
