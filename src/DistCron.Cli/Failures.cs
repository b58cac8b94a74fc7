namespace DistCron.Cli;

/// <summary>Bad command line: exit code 2 with the message and a pointer to --help.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>The store cannot be reached or has no DistCron schema: exit code 4.</summary>
internal sealed class StoreUnreachableException(string message) : Exception(message);

/// <summary>Connected, but a statement ran past --timeout: exit code 6.</summary>
internal sealed class StatementTimedOutException(string message) : Exception(message);

/// <summary>The database holds no app of that name: exit code 3, with the apps it does hold.</summary>
internal sealed class UnknownAppException(string app, IReadOnlyList<string> apps) : Exception(Describe(app, apps))
{
    public IReadOnlyList<string> Apps { get; } = apps;

    private static string Describe(string app, IReadOnlyList<string> apps) => apps.Count switch
    {
        0 => $"The database holds no DistCron app yet (asked for app '{app}'): an app's jobs appear when its first node starts.",
        1 => $"The database holds no app named '{app}'; it holds one app: '{apps[0]}'. Pass --app {apps[0]}.",
        _ => $"The database holds no app named '{app}'; it holds: {string.Join(", ", apps.Select(a => $"'{a}'"))}. Pass --app NAME.",
    } + " An app is named by DistCronOptions.App in its AddDistCron ('default' unless set); 'distcron apps' lists them.";
}
