using System.Diagnostics;
using System.Text;

namespace DistCron.Tests.Infrastructure;

/// <summary>Runs a short-lived child process and captures its output (initdb, pg_ctl, apt-get, the CLI, dotnet publish).</summary>
public static class ProcessRunner
{
    private static readonly HashSet<Process> Running = [];

    public sealed record Result(int ExitCode, string Output)
    {
        public bool Succeeded => ExitCode == 0;
    }

    public static Task<Result> RunAsync(string fileName, IEnumerable<string> arguments, TimeSpan timeout, IDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(fileName);
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        if (environment is not null)
        {
            foreach (var (key, value) in environment) info.Environment[key] = value;
        }

        return RunAsync(info, timeout);
    }

    /// <summary>
    /// Runs <paramref name="info"/> (its file, arguments and environment; output is always captured, stdout and stderr
    /// interleaved, and stdin closed) and kills the whole process tree when <paramref name="timeout"/> passes.
    /// </summary>
    public static async Task<Result> RunAsync(ProcessStartInfo info, TimeSpan timeout)
    {
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.RedirectStandardInput = true;
        info.UseShellExecute = false;

        var output = new StringBuilder();
        using var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.Start();
        lock (Running) Running.Add(process);
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            throw new TimeoutException($"'{info.FileName} {string.Join(' ', info.ArgumentList)}' did not finish within {timeout}. Output:\n{Captured(output)}");
        }
        finally
        {
            lock (Running) Running.Remove(process);
        }

        // WaitForExitAsync returns once the process exited and the output streams reached EOF.
        return new Result(process.ExitCode, Captured(output));
    }

    /// <summary>Kills every child this class started that still runs (a tool interrupted by Ctrl+C).</summary>
    public static void KillRunning()
    {
        Process[] all;
        lock (Running) all = [.. Running];
        foreach (var process in all)
        {
            try { process.Kill(entireProcessTree: true); }
            catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception) { } // exited meanwhile
        }
    }

    public static Result Run(string fileName, IEnumerable<string> arguments, TimeSpan timeout) =>
        RunAsync(fileName, arguments, timeout).GetAwaiter().GetResult();

    private static string Captured(StringBuilder output)
    {
        lock (output) return output.ToString();
    }
}
