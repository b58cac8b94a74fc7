using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace DistCron;

/// <summary>
/// Collects the job definitions that generated code registers. Each assembly compiled with the DistCron source
/// generator registers its own jobs and those of every job library it was compiled against from a generated module
/// initializer, so <c>AddDistCron()</c> finds them without an extra call. Not meant to be called by hand.
/// </summary>
/// <remarks>
/// Two mechanisms, each for cases the other cannot cover (docs/design.md, "Job discovery"):
/// <list type="number">
/// <item>The generated module initializers: the only one under Native AOT, and the one the trimmer sees.</item>
/// <item>A walk of the app's deployed assemblies (<see cref="WalkDeployedAssemblies"/>) for apps compiled without
/// the generator (a job library reached through another project: NuGet does not pass a package's analyzers on) or
/// with C# older than 9 (no module initializers). It needs to load assemblies at run time, so it is skipped under
/// Native AOT, where an app whose own generated registration did not run is refused at start-up instead.</item>
/// </list>
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class DistCronJobRegistry
{
    private static readonly object Gate = new();
    private static readonly Dictionary<string, IReadOnlyList<JobDefinition>> ByAssembly = new(StringComparer.Ordinal);
    private static readonly object WalkGate = new();
    private static bool s_walked;

    /// <summary>Registers the jobs of one assembly; called once per assembly by generated code. Idempotent.</summary>
    public static void Register(string assemblyName, IReadOnlyList<JobDefinition> definitions)
    {
        lock (Gate)
        {
            ByAssembly[assemblyName] = definitions;
        }
    }

    /// <summary>
    /// The definitions of every registered assembly. The first call walks the app's deployed assemblies (not under
    /// Native AOT, where an app built without the generator is refused with an <see cref="InvalidOperationException"/>
    /// that says how to fix it).
    /// </summary>
    public static IReadOnlyList<JobDefinition> GetAll()
    {
        if (RuntimeFeature.IsDynamicCodeSupported)
        {
            WalkOnce();
        }
        else if (MissingGeneratedRegistration(Assembly.GetEntryAssembly()?.GetName().Name, RegisteredAssemblies()) is { } error)
        {
            throw new InvalidOperationException(error);
        }

        lock (Gate)
        {
            return ByAssembly.OrderBy(p => p.Key, StringComparer.Ordinal).SelectMany(p => p.Value).ToArray();
        }
    }

    /// <summary>The names of the assemblies registered so far.</summary>
    internal static IReadOnlyCollection<string> RegisteredAssemblies()
    {
        lock (Gate)
        {
            return ByAssembly.Keys.ToArray();
        }
    }

    /// <summary>
    /// Without dynamic code (Native AOT) no assembly can be looked for at run time: the app's own generated module
    /// initializer, which the generator always emits into an executable, is what registers the job libraries it
    /// references. When it did not run, those jobs would be missing in silence; this is the start-up error instead.
    /// Null when the entry assembly registered (or, when the entry assembly is unknown, when any assembly did).
    /// </summary>
    internal static string? MissingGeneratedRegistration(string? entryAssembly, IReadOnlyCollection<string> registered)
    {
        if (entryAssembly is null ? registered.Count > 0 : registered.Contains(entryAssembly, StringComparer.Ordinal)) return null;
        var app = entryAssembly is null ? "this app" : $"the app '{entryAssembly}'";
        return $"DistCron runs without dynamic code (Native AOT) and {app} was not compiled with the DistCron source generator, "
            + "so the jobs of the libraries it references cannot be found: under Native AOT no assembly can be looked for at run time. "
            + "Reference the DistCron package from the app's own project (NuGet does not pass a package's analyzers on to projects that reference it only through a library) "
            + "and compile it with C# 9 or later (module initializers), or give the jobs explicitly with options.AddJobs(...).";
    }

    // A second caller waits for the first walk to finish rather than read a half-filled registry. The walk's module
    // initializers take Gate, never WalkGate.
    private static void WalkOnce()
    {
        lock (WalkGate)
        {
            if (s_walked) return;
            WalkDeployedAssemblies();
            s_walked = true;
        }
    }

    // For apps the generator did not compile: it already makes every assembly it compiles register the job
    // libraries that assembly was compiled against. A referenced assembly that no code has touched yet is not
    // loaded, so its module initializer has not run (an app built without the generator or below C# 9, a reference
    // behind an extern alias). Walk the entry assembly's references and the assemblies the app's deps.json says
    // depend on DistCron (the compiler drops references the code never uses, deps.json keeps them), and run their
    // module initializers. Once per process (the validator and the node both ask): the deployment does not change,
    // and an assembly loaded later registers through its own initializer when it is first used. Reflection is limited to loading assemblies; jobs are still invoked by generated
    // direct calls. Trimmed (not AOT) apps keep the walk: the trimmer keeps each job assembly the generated
    // registration calls into, and a reference it removed only fails to load (TryLoad: nothing to register from it).
    [UnconditionalSuppressMessage("Trimming", "IL2026:RequiresUnreferencedCode",
        Justification = "A fallback that only loads assemblies and runs their module initializers; a reference removed by trimming fails to load and is skipped. Generated registrations, which the trimmer sees, find the jobs.")]
    private static void WalkDeployedAssemblies()
    {
        var entry = Assembly.GetEntryAssembly();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var pending = new Stack<Assembly>();
        if (entry is not null) pending.Push(entry);
        foreach (var loaded in AppDomain.CurrentDomain.GetAssemblies())
        {
            if (ReferencesDistCron(loaded)) pending.Push(loaded);
        }

        foreach (var name in DeployedAssembliesDependingOnDistCron())
        {
            if (TryLoad(name) is { } deployed && ReferencesDistCron(deployed)) pending.Push(deployed);
        }

        while (pending.Count > 0)
        {
            var assembly = pending.Pop();
            if (!seen.Add(assembly.FullName ?? assembly.GetName().Name ?? string.Empty)) continue;
            if (ReferencesDistCron(assembly))
            {
                RuntimeHelpers.RunModuleConstructor(assembly.ManifestModule.ModuleHandle);
            }

            foreach (var reference in assembly.GetReferencedAssemblies())
            {
                if (IsFrameworkAssembly(reference.Name)) continue;
                if (TryLoad(reference) is { } referenced && ReferencesDistCron(referenced)) pending.Push(referenced);
            }
        }
    }

    private static Assembly? TryLoad(string name)
    {
        try
        {
            return TryLoad(new AssemblyName(name));
        }
        catch (ArgumentException)
        {
            // Not a valid assembly name: deps.json names files, and a file may be named anything.
            return null;
        }
    }

    private static Assembly? TryLoad(AssemblyName name)
    {
        try
        {
            return Assembly.Load(name);
        }
        catch (Exception ex) when (ex is FileNotFoundException or FileLoadException or BadImageFormatException)
        {
            // A reference the app never needs at run time; nothing to register from it.
            return null;
        }
    }

    // The app's deps.json (the host lists it first in APP_CONTEXT_DEPS_FILES, ';'-separated) names each deployed
    // library, its dependencies and its runtime assemblies. When there is none, or it cannot be read, the other
    // discovery paths remain.
    private static List<string> DeployedAssembliesDependingOnDistCron()
    {
        var names = new List<string>();
        if (AppContext.GetData("APP_CONTEXT_DEPS_FILES") is not string files) return names;
        var app = files.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
        if (app is null || !File.Exists(app)) return names;
        try
        {
            using var stream = File.OpenRead(app);
            using var deps = JsonDocument.Parse(stream);
            if (!deps.RootElement.TryGetProperty("targets", out var targets) || targets.ValueKind != JsonValueKind.Object) return names;
            foreach (var target in targets.EnumerateObject())
            {
                if (target.Value.ValueKind != JsonValueKind.Object) continue;
                foreach (var library in target.Value.EnumerateObject())
                {
                    if (library.Value.ValueKind != JsonValueKind.Object
                        || !library.Value.TryGetProperty("dependencies", out var dependencies) || dependencies.ValueKind != JsonValueKind.Object
                        || !dependencies.TryGetProperty("DistCron", out _)
                        || !library.Value.TryGetProperty("runtime", out var runtime) || runtime.ValueKind != JsonValueKind.Object)
                    {
                        continue;
                    }

                    foreach (var file in runtime.EnumerateObject())
                    {
                        if (!file.Name.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)) continue;
                        var name = Path.GetFileNameWithoutExtension(file.Name);
                        if (!IsFrameworkAssembly(name)) names.Add(name);
                    }
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            // An unreadable deps.json only disables this fallback.
        }

        return names;
    }

    [UnconditionalSuppressMessage("Trimming", "IL2026:RequiresUnreferencedCode",
        Justification = "Reads the references an assembly was compiled against; one removed by trimming is simply not found.")]
    private static bool ReferencesDistCron(Assembly assembly) =>
        assembly.GetReferencedAssemblies().Any(r => string.Equals(r.Name, "DistCron", StringComparison.Ordinal));

    private static bool IsFrameworkAssembly(string? name) =>
        name is null
        || name.StartsWith("System", StringComparison.Ordinal)
        || name.StartsWith("Microsoft.", StringComparison.Ordinal)
        || name is "mscorlib" or "netstandard" or "DistCron" or "Npgsql" or "Cronos";
}
