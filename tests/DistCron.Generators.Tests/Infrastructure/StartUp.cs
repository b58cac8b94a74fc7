using System.Runtime.Loader;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace DistCron.Generators.Tests.Infrastructure;

/// <summary>Loads a compiled consumer and runs DistCron's start-up validation on its generated definitions.</summary>
internal static class StartUp
{
    /// <summary>The generated definitions of the compiled assembly (loaded into its own collectible context).</summary>
    public static IReadOnlyList<JobDefinition> Definitions(Microsoft.CodeAnalysis.Compilation output)
    {
        var assemblyName = output.AssemblyName!;
        var image = TestCompilation.Emit(output);
        var assembly = new AssemblyLoadContext(assemblyName + Guid.NewGuid().ToString("N"), isCollectible: true).LoadFromStream(new MemoryStream(image));
        var table = assembly.GetType(TestCompilation.JobsClassName(assemblyName), throwOnError: true)!;
        return (IReadOnlyList<JobDefinition>)table.GetProperty("Definitions")!.GetValue(null)!;
    }

    /// <summary>
    /// What the host would say at start: the validation failures of options holding these jobs (as AddDistCron
    /// validates them when the host starts), or null when it would start.
    /// </summary>
    public static IReadOnlyList<string>? Refusal(IEnumerable<JobDefinition> definitions)
    {
        using var provider = new ServiceCollection().AddDistCron(options => options.AddJobs(definitions)).BuildServiceProvider();
        try
        {
            _ = provider.GetRequiredService<IOptions<DistCronOptions>>().Value;
            return null;
        }
        catch (OptionsValidationException ex)
        {
            return ex.Failures.ToList();
        }
    }
}
