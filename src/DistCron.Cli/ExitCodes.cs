namespace DistCron.Cli;

/// <summary>The tool's exit codes (stable: scripts depend on them).</summary>
internal static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>Unexpected failure.</summary>
    public const int Error = 1;

    /// <summary>Bad command line or settings.</summary>
    public const int Usage = 2;

    /// <summary>The job, or the app, does not exist in the database.</summary>
    public const int NotFound = 3;

    /// <summary>The store cannot be reached (connect failed or timed out), or holds no DistCron schema.</summary>
    public const int StoreUnreachable = 4;

    /// <summary>The action was refused (for example triggering an errored job, removing a job a live node runs).</summary>
    public const int Refused = 5;

    /// <summary>Connected, but a statement did not finish within <c>--timeout</c> (for example waiting for a lock).</summary>
    public const int TimedOut = 6;

    /// <summary>The name scripts see in a JSON error (<c>error.code</c>).</summary>
    public static string Name(int code) => code switch
    {
        Ok => "ok",
        Usage => "usage",
        NotFound => "not_found",
        StoreUnreachable => "store_unreachable",
        Refused => "refused",
        TimedOut => "timed_out",
        _ => "error",
    };
}
