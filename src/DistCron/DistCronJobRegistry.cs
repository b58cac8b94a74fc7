using System.ComponentModel;
using System.Reflection;
using System.Runtime.CompilerServices;

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

    // A referenced assembly that no code has touched yet is not loaded, so its module initializer has not run.
    // Walk the entry assembly's references (only those that themselves reference DistCron) and run their module
    // initializers. Reflection is limited to loading assemblies; jobs are still invoked by generated direct calls.
    private static void LoadReferencedJobAssemblies()
    {
        var entry = Assembly.GetEntryAssembly();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var pending = new Stack<Assembly>();
        if (entry is not null) pending.Push(entry);
        foreach (var loaded in AppDomain.CurrentDomain.GetAssemblies())
        {
            if (ReferencesDistCron(loaded)) pending.Push(loaded);
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
                try
                {
                    var referenced = Assembly.Load(reference);
                    if (ReferencesDistCron(referenced)) pending.Push(referenced);
                }
                catch (Exception ex) when (ex is FileNotFoundException or FileLoadException or BadImageFormatException)
                {
                    // A reference the app never needs at run time; nothing to register from it.
                }
            }
        }
    }

    private static bool ReferencesDistCron(Assembly assembly) =>
        assembly.GetReferencedAssemblies().Any(r => string.Equals(r.Name, "DistCron", StringComparison.Ordinal));

    private static bool IsFrameworkAssembly(string? name) =>
        name is null
        || name.StartsWith("System", StringComparison.Ordinal)
        || name.StartsWith("Microsoft.", StringComparison.Ordinal)
        || name is "mscorlib" or "netstandard" or "DistCron" or "Npgsql" or "Cronos";
}
