namespace DistCron.Cli;

/// <summary>The tool's exit codes (stable: scripts depend on them).</summary>
internal static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>Unexpected failure.</summary>
    public const int Error = 1;

    /// <summary>Bad command line or settings.</summary>
    public const int Usage = 2;

    /// <summary>The job does not exist in the app.</summary>
    public const int NotFound = 3;

    /// <summary>The store cannot be reached, or holds no DistCron schema.</summary>
    public const int StoreUnreachable = 4;

    /// <summary>The action was refused (for example triggering an errored job).</summary>
    public const int Refused = 5;
}
