namespace DistCron.Engine;

/// <summary>
/// How long a node's graceful stop can take, and whether the host waits that long: the rule behind the
/// <see cref="DistCronOptions.ShutdownTimeout"/> default and the start-up warning when the host's
/// <c>HostOptions.ShutdownTimeout</c> leaves too little (event 62).
/// </summary>
/// <remarks>
/// A stop runs: <see cref="DistCronOptions.ShutdownTimeout"/> for running jobs to finish with their tokens untouched;
/// then the tokens are cancelled and the jobs get <see cref="AbandonGrace"/> plus a second to stop and release their
/// claims; then the completions still queued are written and the node's row is removed. All of it must end before the
/// host stops waiting, and the host before Kubernetes' SIGKILL (<c>terminationGracePeriodSeconds</c>, 30 s by default,
/// which is also the host's default timeout). With the defaults a stop takes at most <see cref="Needed"/> = 23 s, so
/// 7 s remain for the application's other services and a preStop hook.
/// </remarks>
internal static class ShutdownBudget
{
    /// <summary>The longest a job whose token was cancelled is waited for before it is abandoned.</summary>
    public static readonly TimeSpan MaxAbandonGrace = TimeSpan.FromSeconds(5);

    /// <summary>What the last steps need with a reachable store: releases, queued completions, the node row.</summary>
    public static readonly TimeSpan FinalWrites = TimeSpan.FromSeconds(2);

    /// <summary>How long a job keeps running after its token was cancelled before it is abandoned; at most the lease.</summary>
    public static TimeSpan AbandonGrace(TimeSpan lease) => lease < MaxAbandonGrace ? lease : MaxAbandonGrace;

    /// <summary>The wait after the tokens were cancelled at shutdown: the abandon grace and a second for the runs to settle.</summary>
    public static TimeSpan CancelWait(TimeSpan lease) => AbandonGrace(lease) + TimeSpan.FromSeconds(1);

    /// <summary>The longest DistCron's stop takes when the store is reachable.</summary>
    public static TimeSpan Needed(TimeSpan shutdownTimeout, TimeSpan lease) => shutdownTimeout + CancelWait(lease) + FinalWrites;

    /// <summary>
    /// True when the host stops waiting before DistCron's stop can end: then running jobs are cancelled only when the
    /// host gives up, and whatever they release or record after that races the process's exit. An infinite host
    /// timeout (<see cref="Timeout.InfiniteTimeSpan"/>) always leaves enough.
    /// </summary>
    public static bool HostTooShort(TimeSpan hostTimeout, TimeSpan shutdownTimeout, TimeSpan lease) =>
        hostTimeout != Timeout.InfiniteTimeSpan && hostTimeout < Needed(shutdownTimeout, lease);

    /// <summary>
    /// The largest <see cref="DistCronOptions.ShutdownTimeout"/> that fits a host timeout; null when none does (the host
    /// timeout is shorter than the steps after it).
    /// </summary>
    public static TimeSpan? LargestShutdownTimeout(TimeSpan hostTimeout, TimeSpan lease)
    {
        var largest = hostTimeout - CancelWait(lease) - FinalWrites;
        return largest >= TimeSpan.FromSeconds(1) ? largest : null;
    }
}
