using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace DistCron;

/// <summary>
/// Collects the job definitions that generated code registers. Each assembly with jobs registers itself from a
/// generated module initializer, so <c>AddDistCron()</c> finds the jobs of every referenced assembly without an
/// extra call. Not meant to be called by hand.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class DistCronJobRegistry
{
    private static readonly object Gate = new();
    private static readonly Dictionary<string, IReadOnlyList<JobDefinition>> ByAssembly = new(StringComparer.Ordinal);

    /// <summary>Registers the jobs of one assembly; called once per assembly by generated code. Idempotent.</summary>
    public static void Register(string assemblyName, IReadOnlyList<JobDefinition> definitions)
    {
        lock (Gate)
        {
            ByAssembly[assemblyName] = definitions;
        }
    }

    /// <summary>The definitions of every assembly registered so far, after loading those the app references.</summary>
    public static IReadOnlyList<JobDefinition> GetAll()
    {
        LoadReferencedJobAssemblies();
        lock (Gate)
        {
            return ByAssembly.OrderBy(p => p.Key, StringComparer.Ordinal).SelectMany(p => p.Value).ToArray();
        }
    }

    // Fallback only: the generator already makes every assembly register the job libraries it was compiled
    // against. A referenced assembly that no code has touched yet is not loaded, so its module initializer has not
    // run (an app built without the generator, a reference behind an extern alias). Walk the entry assembly's
    // references and the assemblies the app's deps.json says depend on DistCron (the compiler drops references the
    // code never uses, deps.json keeps them), and run their module initializers. Reflection is limited to loading
    // assemblies; jobs are still invoked by generated direct calls.
    //
    // Native AOT: the generated module initializers are the whole mechanism. The compiler links every assembly into
    // one image and runs their module initializers at start-up, there is no assembly to load later, and
    // GetReferencedAssemblies throws PlatformNotSupportedException, so the walk is not attempted. Trimmed (not AOT)
    // apps keep the walk: the trimmer keeps each job assembly the generated registration calls into, and a reference
    // it removed only fails to load (TryLoad: nothing to register from it).
    [UnconditionalSuppressMessage("Trimming", "IL2026:RequiresUnreferencedCode",
        Justification = "A fallback that only loads assemblies and runs their module initializers; a reference removed by trimming fails to load and is skipped. Generated registrations, which the trimmer sees, find the jobs.")]
    private static void LoadReferencedJobAssemblies()
    {
        if (!RuntimeFeature.IsDynamicCodeSupported) return;
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
