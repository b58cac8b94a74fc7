using System.Reflection;
using System.Runtime.Loader;
using DistCron.Generators.Tests.Infrastructure;
using DistCron.Internal;
using Microsoft.Extensions.DependencyInjection;

namespace DistCron.Generators.Tests;

/// <summary>Compiles generated code, loads it and runs its invokers with a real service provider.</summary>
public class GeneratedCodeBehaviourTests
{
    private const string Source = """
        using System;
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        using DistCron;

        namespace Behaviour;

        public static class Log
        {
            public static readonly List<string> Lines = new();
        }

        public sealed class Greeter
        {
            public string Greet(string who) => "hello " + who;
        }

        public static class StaticJobs
        {
            [DistributedCron("0 * * * *", Name = "static.sync")]
            public static void Sync(Greeter greeter) => Log.Lines.Add(greeter.Greet("static"));
        }

        public sealed class InstanceJobs : IDisposable
        {
            private readonly Greeter _greeter;

            public InstanceJobs(Greeter greeter) => _greeter = greeter;

            [DistributedCron("*/10 * * * * *", Name = "instance.async", TimeZone = "Europe/Paris", Timeout = "00:01:30", RetryDelay = "0:00:05", MaxRetries = 2, Misfire = MisfirePolicy.Skip)]
            public async Task RunAsync(JobContext context, CancellationToken cancellationToken, IServiceProvider services)
            {
                await Task.Yield();
                Log.Lines.Add(_greeter.Greet(context.JobName) + " attempt " + context.Attempt + " token " + cancellationToken.CanBeCanceled + " services " + (services != null));
            }

            public void Dispose() => Log.Lines.Add("disposed");
        }
        """;

    [Fact]
    public async Task Invokers_call_the_methods_with_context_token_and_services_and_dispose_what_they_created()
    {
        var (definitions, log) = Load("Behaviour.Run");
        await using var provider = BuildProvider(definitions[0].Invoker.Method.Module.Assembly);
        using var cancellation = new CancellationTokenSource();

        foreach (var definition in definitions)
        {
            await using var scope = provider.CreateAsyncScope();
            var context = new JobContext(definition.Name, DateTimeOffset.UnixEpoch, "node-1", 1, 7);
            await definition.Invoker(scope.ServiceProvider, context, cancellation.Token);
        }

        Assert.Equal(new[] { "hello instance.async attempt 1 token True services True", "disposed", "hello static" }, log);
    }

    // Every branch of the emitted invoker: static or instance, void, Task or ValueTask, created here (and then
    // disposed here, synchronously or asynchronously) or resolved from the scope (and then left to the scope).
    private const string ShapesSource = """
        using System;
        using System.Collections.Generic;
        using System.Threading.Tasks;
        using DistCron;

        namespace Behaviour;

        public static class Log
        {
            public static readonly List<string> Lines = new();
        }

        public static class Static
        {
            [DistributedCron("@hourly", Name = "a.static-void")] public static void Void() => Log.Lines.Add("a ran");
            [DistributedCron("@hourly", Name = "b.static-task")] public static async Task TaskAsync() { await Task.Yield(); Log.Lines.Add("b ran"); }
            [DistributedCron("@hourly", Name = "c.static-valuetask")] public static ValueTask ValueTaskAsync() { Log.Lines.Add("c ran"); return default; }
        }

        public sealed class Plain
        {
            [DistributedCron("@hourly", Name = "d.plain-void")] public void Void() => Log.Lines.Add("d ran");
            [DistributedCron("@hourly", Name = "e.plain-task")] public async Task TaskAsync() { await Task.Yield(); Log.Lines.Add("e ran"); }
        }

        public sealed class Disposable : IDisposable
        {
            [DistributedCron("@hourly", Name = "f.disposable-void")] public void Void() => Log.Lines.Add("f ran");
            [DistributedCron("@hourly", Name = "g.disposable-task")] public async Task TaskAsync() { await Task.Yield(); Log.Lines.Add("g ran"); }
            public void Dispose() => Log.Lines.Add("disposed");
        }

        public sealed class AsyncDisposable : IAsyncDisposable
        {
            [DistributedCron("@hourly", Name = "h.async-disposable-void")] public void Void() => Log.Lines.Add("h ran");
            [DistributedCron("@hourly", Name = "i.async-disposable-valuetask")] public ValueTask ValueTaskAsync() { Log.Lines.Add("i ran"); return default; }
            public async ValueTask DisposeAsync() { await Task.Yield(); Log.Lines.Add("disposed async"); }
        }

        public sealed class Resolved : IDisposable
        {
            [DistributedCron("@hourly", Name = "j.resolved-void")] public void Void() => Log.Lines.Add("j ran");
            public void Dispose() => Log.Lines.Add("disposed by the scope");
        }
        """;

    [Fact]
    public async Task Every_invoker_shape_runs_its_method_once_and_disposes_only_what_it_created()
    {
        var (definitions, log) = Load("Behaviour.Shapes", ShapesSource);
        var assembly = definitions[0].Invoker.Method.Module.Assembly;
        await using var provider = new ServiceCollection().AddScoped(assembly.GetType("Behaviour.Resolved")!).BuildServiceProvider();

        foreach (var definition in definitions)
        {
            await using (var scope = provider.CreateAsyncScope())
            {
                await definition.Invoker(scope.ServiceProvider, new JobContext(definition.Name, DateTimeOffset.UnixEpoch, "node-1", 1, 1), CancellationToken.None);
                log.Add("--");
            }
        }

        Assert.Equal(
            new[]
            {
                "a ran", "--", "b ran", "--", "c ran", "--", "d ran", "--", "e ran", "--",
                "f ran", "disposed", "--", "g ran", "disposed", "--", "h ran", "disposed async", "--", "i ran", "disposed async", "--",
                "j ran", "--", "disposed by the scope",
            },
            log);
    }

    // Invokers that hand back the method's own task (not async, no state machine) still fail the async way: an
    // exception thrown before the method's first await, or while resolving the instance or an argument, comes back as
    // a faulted task, as it did when every such invoker was an async method.
    private const string ThrowingSource = """
        using System;
        using System.Collections.Generic;
        using System.Threading.Tasks;
        using DistCron;

        namespace Behaviour;

        public static class Log
        {
            public static readonly List<string> Lines = new();
        }

        public sealed class Missing { }

        public static class Throwing
        {
            [DistributedCron("@hourly", Name = "a.task-throws-before-await")] public static Task TaskAsync() => throw new InvalidOperationException("a");
            [DistributedCron("@hourly", Name = "b.valuetask-throws-before-await")] public static ValueTask ValueTaskAsync() => throw new InvalidOperationException("b");
            [DistributedCron("@hourly", Name = "c.missing-service")] public static Task NeedsAsync(Missing missing) => Task.CompletedTask;
        }

        public sealed class Unconstructible
        {
            public Unconstructible(Missing missing) { }
            [DistributedCron("@hourly", Name = "d.missing-constructor-argument")] public ValueTask RunAsync() => default;
        }
        """;

    [Fact]
    public async Task A_task_invoker_returns_a_faulted_task_instead_of_throwing()
    {
        var (definitions, _) = Load("Behaviour.Throwing", ThrowingSource);
        await using var provider = new ServiceCollection().BuildServiceProvider();
        var failures = new List<string>();
        foreach (var definition in definitions)
        {
            var task = definition.Invoker(provider, new JobContext(definition.Name, DateTimeOffset.UnixEpoch, "node-1", 1, 1), CancellationToken.None);
            Assert.True(task.IsFaulted, definition.Name);
            var error = await Assert.ThrowsAsync<InvalidOperationException>(async () => await task);
            failures.Add(definition.Name + ": " + error.Message.Split(' ')[0]);
        }

        Assert.Equal(new[] { "a.task-throws-before-await: a", "b.valuetask-throws-before-await: b", "c.missing-service: No", "d.missing-constructor-argument: Unable" }, failures);
    }

    [Fact]
    public void Definitions_carry_every_option_and_a_build_time_hash_equal_to_the_runtime_one()
    {
        var (definitions, _) = Load("Behaviour.Options");
        var job = definitions.Single(d => d.Name == "instance.async");
        Assert.Equal("*/10 * * * * *", job.Schedule);
        Assert.Equal(CronFormat.IncludeSeconds, job.Format);
        Assert.Equal("Europe/Paris", job.TimeZone);
        Assert.Equal(MisfirePolicy.Skip, job.Misfire);
        Assert.Equal(TimeSpan.FromSeconds(90), job.Timeout);
        Assert.Equal(TimeSpan.FromSeconds(5), job.RetryDelay);
        Assert.Equal(2, job.MaxRetries);
        Assert.Equal("Behaviour.InstanceJobs", job.DeclaringType);
        Assert.Equal("RunAsync", job.MethodName);
        Assert.Equal(StableHash.DefinitionWithDurations("instance.async", "*/10 * * * * *", "Europe/Paris", 1, TimeSpan.FromSeconds(90), TimeSpan.FromSeconds(5), 2), job.DefinitionHash);

        var plain = definitions.Single(d => d.Name == "static.sync");
        Assert.Equal(("UTC", MisfirePolicy.RunOnce, (TimeSpan?)null, (TimeSpan?)null, 0), (plain.TimeZone, plain.Misfire, plain.Timeout, plain.RetryDelay, plain.MaxRetries));
        Assert.Equal(StableHash.Definition("static.sync", "0 * * * *", "UTC", 0, null, null, 0), plain.DefinitionHash);
        Assert.Equal(new[] { "Definitions" }, GeneratedTables(job));
    }

    // The build-time hash is written to the crontab as it is; the runtime's own StableHash (this test's copy is the
    // runtime's, DistCron.dll) over the definition's fields must give the same text, or every deploy would look like
    // a definition change (or none would). Odd inputs: names at the edges of the allowed alphabet and length, zones
    // with '/', '+', '-' and '_', durations with days, fractions and a single tick, schedules with seconds and H,
    // all under a culture whose number and casing rules differ from the invariant one. Non-ASCII names are refused
    // at build time (DCRON0012), so they never reach the crontab with a hash at all.
    [Fact]
    public void Build_time_hashes_equal_the_runtime_hash_for_odd_inputs()
    {
        var longName = "L" + new string('i', 198) + "I";
        var odd = $$"""
            using DistCron;
            namespace Behaviour;
            public static class Log { public static readonly System.Collections.Generic.List<string> Lines = new(); }
            public static class OddJobs
            {
                [DistributedCron("H H * * *", Name = "a.b_c:d-E9")] public static void A() { }
                [DistributedCron("*/7 H * * * *", Name = "{{longName}}", TimeZone = "America/Argentina/Buenos_Aires", Timeout = "1.02:03:04.5", RetryDelay = "0:00:00.0000001", MaxRetries = 7, Misfire = MisfirePolicy.Skip)] public static void B() { }
                [DistributedCron("0 12 * * MON-FRI", Name = "gmt", TimeZone = "Etc/GMT+5", Timeout = "24.00:00:00", RetryDelay = "00:00:00")] public static void C() { }
                [DistributedCron("30 2 * * *", Name = "I", TimeZone = "America/Port-au-Prince", Timeout = "00:00:00.001")] public static void D() { }
                [DistributedCron("0 * * * *", Name = "Überprüfung:日次-🕐")] public static void Refused() { }
            }
            """;
        var culture = System.Globalization.CultureInfo.CurrentCulture;
        System.Globalization.CultureInfo.CurrentCulture = System.Globalization.CultureInfo.GetCultureInfo("tr-TR");
        IReadOnlyList<JobDefinition> definitions;
        try
        {
            definitions = Load("Behaviour.OddHashes", odd).Definitions;
        }
        finally
        {
            System.Globalization.CultureInfo.CurrentCulture = culture;
        }

        var refused = Assert.Single(definitions, d => d.BuildError is not null);
        Assert.StartsWith("DCRON0012: ", refused.BuildError);
        Assert.Equal(string.Empty, refused.DefinitionHash);

        var built = definitions.Where(d => d.BuildError is null).ToList();
        Assert.Equal(4, built.Count);
        Assert.Contains(built, d => d.Name == longName && d.Timeout == new TimeSpan(1, 2, 3, 4, 500) && d.RetryDelay == TimeSpan.FromTicks(1));
        Assert.All(built, d => Assert.Equal(
            StableHash.DefinitionWithDurations(d.Name, d.Schedule, d.TimeZone, (int)d.Misfire, d.Timeout, d.RetryDelay, d.MaxRetries),
            d.DefinitionHash));
        Assert.Equal(4, built.Select(d => d.DefinitionHash).Distinct().Count());
    }

    [Fact]
    public void The_module_initializer_registers_the_assembly_jobs()
    {
        var (definitions, _) = Load("Behaviour.Registry");
        var registered = DistCronJobRegistry.GetAll();
        Assert.All(definitions, d => Assert.Contains(d, registered));
    }

    private static (IReadOnlyList<JobDefinition> Definitions, List<string> Log) Load(string assemblyName, string source = Source)
    {
        var (_, output) = TestCompilation.Generate(TestCompilation.Create(assemblyName, source));
        var image = TestCompilation.Emit(output);
        var assembly = new AssemblyLoadContext(assemblyName, isCollectible: true).LoadFromStream(new MemoryStream(image));
        var table = assembly.GetType(TestCompilation.JobsClassName(assemblyName), throwOnError: true)!;
        var definitions = (IReadOnlyList<JobDefinition>)table.GetProperty("Definitions")!.GetValue(null)!;
        var log = (List<string>)assembly.GetType("Behaviour.Log")!.GetField("Lines")!.GetValue(null)!;
        return (definitions, log);
    }

    // The public static tables of the generated class: one, which is both the registration and the crontab seed.
    private static IEnumerable<string> GeneratedTables(JobDefinition any) =>
        any.Invoker.Method.DeclaringType!.GetProperties(BindingFlags.Public | BindingFlags.Static).Select(p => p.Name);

    // Greeter lives in the compiled assembly; register it by its runtime type (scoped, so only the job class is
    // created by the invoker and must be disposed by it).
    private static ServiceProvider BuildProvider(Assembly assembly)
    {
        var greeter = assembly.GetType("Behaviour.Greeter")!;
        return new ServiceCollection().AddScoped(greeter).BuildServiceProvider();
    }
}
