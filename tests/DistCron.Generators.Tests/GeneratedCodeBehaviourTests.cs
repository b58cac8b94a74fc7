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
        Assert.Equal(definitions.Select(d => d.ToSeedRow()), SeedRows(definitions[0]));
    }

    [Fact]
    public void The_module_initializer_registers_the_assembly_jobs()
    {
        var (definitions, _) = Load("Behaviour.Registry");
        var registered = DistCronJobRegistry.GetAll();
        Assert.All(definitions, d => Assert.Contains(d, registered));
    }

    private static (IReadOnlyList<JobDefinition> Definitions, List<string> Log) Load(string assemblyName)
    {
        var (_, output) = TestCompilation.Generate(TestCompilation.Create(assemblyName, Source));
        var image = TestCompilation.Emit(output);
        var assembly = new AssemblyLoadContext(assemblyName, isCollectible: true).LoadFromStream(new MemoryStream(image));
        var table = assembly.GetType(TestCompilation.JobsClassName(assemblyName), throwOnError: true)!;
        var definitions = (IReadOnlyList<JobDefinition>)table.GetProperty("Definitions")!.GetValue(null)!;
        var log = (List<string>)assembly.GetType("Behaviour.Log")!.GetField("Lines")!.GetValue(null)!;
        return (definitions, log);
    }

    private static IEnumerable<CrontabSeedRow> SeedRows(JobDefinition any)
    {
        var table = any.Invoker.Method.DeclaringType!;
        return (IReadOnlyList<CrontabSeedRow>)table.GetProperty("SeedRows")!.GetValue(null)!;
    }

    // Greeter lives in the compiled assembly; register it by its runtime type (scoped, so only the job class is
    // created by the invoker and must be disposed by it).
    private static ServiceProvider BuildProvider(Assembly assembly)
    {
        var greeter = assembly.GetType("Behaviour.Greeter")!;
        return new ServiceCollection().AddScoped(greeter).BuildServiceProvider();
    }
}
