using System.ComponentModel;

namespace DistCron;

/// <summary>
/// Marks an assembly whose DistCron jobs were generated, naming the generated class that holds them. The source
/// generator emits it, and reads it from the references of every assembly compiled against this one, which then
/// registers these jobs from its own module initializer: a job library is found even when the app never touches one
/// of its types (the compiler drops references the code does not use). Not meant to be written by hand.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = false, Inherited = false)]
public sealed class DistCronJobAssemblyAttribute : Attribute
{
    /// <summary>Marks the assembly; <paramref name="jobsType"/> is its generated <c>DistCron.Generated.DistCronJobs_*</c> class.</summary>
    public DistCronJobAssemblyAttribute(Type jobsType) => JobsType = jobsType;

    /// <summary>The generated class whose public static <c>Register()</c> registers the assembly's jobs.</summary>
    public Type JobsType { get; }
}
