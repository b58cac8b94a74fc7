using System.Diagnostics;

namespace DistCron.Fleet;

/// <summary>
/// Takes a throwaway PostgreSQL cluster down and brings it back, for the chaos runs: <c>pg_ctl restart -m immediate</c>
/// (a crash: every connection cut, recovery on start) and a longer outage (stop immediate, stay down, start), which
/// is what makes occurrences misfire. Runs pg_ctl as the <c>postgres</c> user when we are root, as the test cluster does.
/// </summary>
public sealed class PostgresControl(string binDirectory, string dataDirectory, string logFile)
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(2);

    /// <summary><c>pg_ctl restart -m immediate</c>, waiting until the server accepts connections again.</summary>
    public Task RestartImmediateAsync(CancellationToken cancellationToken) =>
        PgCtlAsync(cancellationToken, "restart", "-w", "-t", "120", "-m", "immediate", "-D", dataDirectory, "-l", logFile);

    /// <summary>Crash-stops the server, keeps it down for <paramref name="downFor"/>, then starts it and waits until it is up.</summary>
    public async Task OutageAsync(TimeSpan downFor, CancellationToken cancellationToken)
    {
        await PgCtlAsync(cancellationToken, "stop", "-w", "-t", "120", "-m", "immediate", "-D", dataDirectory);
        await Task.Delay(downFor, cancellationToken);
        await PgCtlAsync(cancellationToken, "start", "-w", "-t", "120", "-D", dataDirectory, "-l", logFile);
    }

    private async Task PgCtlAsync(CancellationToken cancellationToken, params string[] arguments)
    {
        var pgCtl = Path.Combine(binDirectory, "pg_ctl");
        var asPostgres = Environment.UserName == "root";
        var start = new ProcessStartInfo(asPostgres ? "runuser" : pgCtl)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (asPostgres)
        {
            foreach (var prefix in new[] { "-u", "postgres", "--", pgCtl }) start.ArgumentList.Add(prefix);
        }

        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {start.FileName}");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(CommandTimeout);
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"pg_ctl {arguments[0]} failed ({process.ExitCode}): {await output}{await error}");
        }
    }
}
