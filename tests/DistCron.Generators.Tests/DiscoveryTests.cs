using System.Runtime.CompilerServices;
using System.Runtime.Loader;
using DistCron.Generators.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace DistCron.Generators.Tests;

/// <summary>
/// How the runtime tells that an app was compiled with the generator: an executable's generated module initializer
/// registers the app even when it declares no job. Under Native AOT (no assembly can be looked for at run time) an
/// app whose registration did not run is refused at start-up instead of running without its libraries' jobs.
/// </summary>
public class DiscoveryTests
{
    private const string Program = "namespace App { public static class Program { public static int Main() => 0; } }";

    private static CSharpCompilation Executable(string assemblyName) =>
        TestCompilation.Create(assemblyName, Program).WithOptions(TestCompilation.Create(assemblyName).Options.WithOutputKind(OutputKind.ConsoleApplication));

    [Fact]
    public void An_executable_without_jobs_registers_itself_from_its_module_initializer()
    {
        const string Name = "Discovery.Plain.App";
        var (result, output) = TestCompilation.Generate(Executable(Name));
        var text = TestCompilation.GeneratedText(result);
        Assert.NotNull(text);
        Assert.Contains("global::DistCron.DistCronJobRegistry.Register(\"Discovery.Plain.App\", global::System.Array.Empty<global::DistCron.JobDefinition>());", text);
        Assert.DoesNotContain("public static class DistCronJobs_", text);
        Assert.Empty(TestCompilation.CompilerProblems(output));

        Assert.DoesNotContain(Name, DistCronJobRegistry.RegisteredAssemblies());
        var assembly = new AssemblyLoadContext(Name, isCollectible: true).LoadFromStream(new MemoryStream(TestCompilation.Emit(output)));
        RuntimeHelpers.RunModuleConstructor(assembly.ManifestModule.ModuleHandle);
        Assert.Contains(Name, DistCronJobRegistry.RegisteredAssemblies());
        Assert.Null(DistCronJobRegistry.MissingGeneratedRegistration(Name, DistCronJobRegistry.RegisteredAssemblies()));
    }

    [Fact]
    public void A_library_without_jobs_or_job_references_gets_no_generated_file()
    {
        var (result, _) = TestCompilation.Generate(TestCompilation.Create("Discovery.Plain.Library", Program));
        Assert.Null(TestCompilation.GeneratedText(result));
    }

    [Fact]
    public void Below_csharp_9_an_executable_without_jobs_gets_no_generated_file_and_compiles()
    {
        var options = new CSharpParseOptions(LanguageVersion.CSharp8);
        var compilation = CSharpCompilation.Create(
            "Discovery.Old.App",
            new[] { CSharpSyntaxTree.ParseText(Program, options, "/src/Old/Program.cs") },
            TestCompilation.FrameworkAndDistCron,
            Executable("Discovery.Old.App").Options);
        GeneratorDriver driver = CSharpGeneratorDriver.Create(new[] { new DistCronGenerator().AsSourceGenerator() }, parseOptions: options);
        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out var diagnostics);
        Assert.Empty(diagnostics);
        Assert.Empty(driver.GetRunResult().Results.Single().GeneratedSources);
        Assert.Empty(TestCompilation.CompilerProblems(output));
    }

    [Fact]
    public void Under_native_aot_an_app_whose_generated_registration_did_not_run_is_refused_with_the_fix()
    {
        Assert.Null(DistCronJobRegistry.MissingGeneratedRegistration("Shop", ["Billing", "Shop"]));
        // Its name is unknown (no entry assembly): any generated registration shows the generator ran.
        Assert.Null(DistCronJobRegistry.MissingGeneratedRegistration(null, ["Billing"]));

        var error = DistCronJobRegistry.MissingGeneratedRegistration("Shop", ["Billing"]);
        Assert.Equal(
            "DistCron runs without dynamic code (Native AOT) and the app 'Shop' was not compiled with the DistCron source generator, "
            + "so the jobs of the libraries it references cannot be found: under Native AOT no assembly can be looked for at run time. "
            + "Reference the DistCron package from the app's own project (NuGet does not pass a package's analyzers on to projects that reference it only through a library) "
            + "and compile it with C# 9 or later (module initializers), or give the jobs explicitly with options.AddJobs(...).",
            error);
        Assert.Contains("this app was not compiled", DistCronJobRegistry.MissingGeneratedRegistration(null, []));
        // Assembly names are compared exactly, as the generator writes them.
        Assert.NotNull(DistCronJobRegistry.MissingGeneratedRegistration("shop", ["Shop"]));
    }
}
