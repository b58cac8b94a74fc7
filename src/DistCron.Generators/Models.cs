namespace DistCron.Generators
{
    // Pipeline models: strings, numbers and EquatableArray only, never ISymbol, SyntaxNode, Compilation or Location,
    // so that an unchanged job compares equal across compilations and its cached output is reused.

    /// <summary>How the invoker completes the job method's call.</summary>
    internal enum ReturnKind
    {
        Void,
        Task,
        ValueTask,
    }

    /// <summary>Where an argument of the job method comes from.</summary>
    internal enum ParameterKind
    {
        CancellationToken,
        JobContext,
        ServiceProvider,
        Service,
    }

    /// <summary>How an instance created for one run (not resolved from DI) is disposed.</summary>
    internal enum InstanceDisposal
    {
        /// <summary>Static method, struct, or a type that is not disposable: resolve or create, nothing to dispose.</summary>
        None,
        Dispose,
        DisposeAsync,
    }

    internal sealed record ParameterModel(ParameterKind Kind, string TypeName);

    /// <summary>One valid job, everything the emitter needs and nothing else.</summary>
    internal sealed record JobModel(
        string Name,
        string Schedule,
        bool IncludeSeconds,
        string TimeZone,
        int Misfire,
        long? TimeoutTicks,
        long? RetryDelayTicks,
        int MaxRetries,
        string DefinitionHash,
        string DeclaringTypeName,
        string DeclaringTypeDisplay,
        string MethodName,
        bool IsStatic,
        InstanceDisposal Disposal,
        ReturnKind ReturnKind,
        EquatableArray<ParameterModel> Parameters);

    /// <summary>
    /// All valid jobs of one assembly and the generated job classes of the assemblies it references (fully
    /// qualified names, sorted): the input of the single generated file.
    /// </summary>
    internal sealed record AssemblyJobsModel(string AssemblyName, EquatableArray<JobModel> Jobs, EquatableArray<string> ReferencedJobClasses);
}
