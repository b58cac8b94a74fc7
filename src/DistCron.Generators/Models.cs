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

        /// <summary>Required from DI: <c>GetRequiredService&lt;T&gt;</c>.</summary>
        Service,

        /// <summary>A nullable reference type or an optional parameter defaulting to null: <c>GetService&lt;T&gt;</c>.</summary>
        OptionalService,

        /// <summary>A <c>Nullable&lt;T&gt;</c> of a struct service: the boxed service, or null.</summary>
        NullableValueService,

        /// <summary>An optional parameter of a value type or string: its default value, as declared.</summary>
        DefaultValue,
    }

    /// <summary>How an instance created for one run (not resolved from DI) is disposed.</summary>
    internal enum InstanceDisposal
    {
        /// <summary>Static method, struct, or a type that is not disposable: resolve or create, nothing to dispose.</summary>
        None,
        Dispose,
        DisposeAsync,
    }

    /// <param name="Kind">Where the argument comes from.</param>
    /// <param name="TypeName">
    /// For the service kinds, the type asked of DI (fully qualified, nullable annotations kept, no top-level '?');
    /// for <see cref="ParameterKind.DefaultValue"/>, the C# expression of the default; otherwise empty.
    /// </param>
    internal sealed record ParameterModel(ParameterKind Kind, string TypeName);

    /// <summary>One job, everything the emitter needs and nothing else; <see cref="BuildError"/> is set when it is invalid.</summary>
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
        EquatableArray<ParameterModel> Parameters,
        string? BuildError = null)
    {
        /// <summary>
        /// A declared job with errors: the generator emits it as a definition the runtime refuses at start-up with
        /// <paramref name="buildError"/>, so that no build switch (analyzers off, the diagnostic suppressed) can make a
        /// declared job silently disappear.
        /// </summary>
        public static JobModel Refused(string name, string declaringTypeDisplay, string methodName, string buildError) =>
            new(name, string.Empty, false, string.Empty, 0, null, null, 0, string.Empty, string.Empty, declaringTypeDisplay, methodName,
                true, InstanceDisposal.None, ReturnKind.Void, default, buildError);
    }

    /// <summary>
    /// All valid jobs of one assembly and the generated job classes of the assemblies it references (fully
    /// qualified names, sorted): the input of the single generated file. <see cref="IsExecutable"/>: the assembly is
    /// an app, whose initializer registers it even without jobs of its own.
    /// </summary>
    internal sealed record AssemblyJobsModel(string AssemblyName, bool IsExecutable, EquatableArray<JobModel> Jobs, EquatableArray<string> ReferencedJobClasses);
}
