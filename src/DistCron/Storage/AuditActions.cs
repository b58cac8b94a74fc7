namespace DistCron.Storage;

/// <summary>The text each store writes in <c>audit.action</c>: stable names, never the enum's numbers.</summary>
internal static class AuditActions
{
    public const string Pause = "pause";
    public const string Resume = "resume";
    public const string Trigger = "trigger";

    /// <summary>The stored name of <paramref name="action"/>.</summary>
    public static string Name(AuditAction action) => action switch
    {
        AuditAction.Pause => Pause,
        AuditAction.Resume => Resume,
        AuditAction.Trigger => Trigger,
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, "Unknown audit action."),
    };

    /// <summary>The action a stored name stands for; a name written by a newer release is refused, not guessed.</summary>
    public static AuditAction Parse(string name) => name switch
    {
        Pause => AuditAction.Pause,
        Resume => AuditAction.Resume,
        Trigger => AuditAction.Trigger,
        _ => throw new InvalidOperationException($"The audit table holds an action '{name}' this DistCron does not know: a newer release wrote it; upgrade this tool."),
    };
}
