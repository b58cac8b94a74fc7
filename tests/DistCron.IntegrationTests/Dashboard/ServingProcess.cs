using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace DistCron.Tests.Dashboard;

/// <summary>
/// A child process that serves HTTP until stopped (the CLI's dashboard, the sample): its output is captured line by
/// line, the test waits for the line that prints an address, and stops it with SIGINT as Ctrl+C would. Killed with its
/// tree on dispose if it is still running.
/// </summary>
internal sealed class ServingProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly List<(Regex Pattern, TaskCompletionSource<string> Found)> _patterns = [];

    private ServingProcess(Process process) => _process = process;

    public string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }

    public bool HasExited => _process.HasExited;

    public static ServingProcess Start(string fileName, IEnumerable<string> arguments, IDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        // Through env --default-signal=INT: a test run started in the background (CI's `... &`) ignores SIGINT, the
        // child would inherit that, and .NET leaves an ignored SIGINT ignored, so the Ctrl+C below would do nothing.
        var info = new ProcessStartInfo("env")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (workingDirectory is not null) info.WorkingDirectory = workingDirectory;
        info.ArgumentList.Add("--default-signal=INT");
        info.ArgumentList.Add(fileName);
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) info.Environment[key] = value;

        var serving = new ServingProcess(new Process { StartInfo = info });
        serving._process.OutputDataReceived += (_, e) => serving.Add(e.Data);
        serving._process.ErrorDataReceived += (_, e) => serving.Add(e.Data);
        serving._process.Start();
        serving._process.BeginOutputReadLine();
        serving._process.BeginErrorReadLine();
        return serving;
    }

    /// <summary>The first output line matching <paramref name="pattern"/>'s group "url" (already printed or still to come).</summary>
    public async Task<Uri> WaitForAddressAsync(Regex pattern, TimeSpan timeout)
    {
        var found = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_output)
        {
            var match = pattern.Match(_output.ToString());
            if (match.Success) return new Uri(match.Groups["url"].Value);
            _patterns.Add((pattern, found));
        }

        var exited = _process.WaitForExitAsync();
        var first = await Task.WhenAny(found.Task, exited, Task.Delay(timeout));
        if (first != found.Task)
        {
            throw new Xunit.Sdk.XunitException($"No address line ({(first == exited ? $"exited with {_process.ExitCode}" : "timed out")}). Output:\n{Output}");
        }

        return new Uri(await found.Task);
    }

    /// <summary>Sends SIGINT (Ctrl+C) and waits for the exit; returns the exit code.</summary>
    public async Task<int> InterruptAsync(TimeSpan timeout)
    {
        using (var kill = Process.Start(new ProcessStartInfo("kill", ["-INT", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false })!)
        {
            await kill.WaitForExitAsync();
        }

        return await WaitForExitAsync(timeout);
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException($"The process did not exit within {timeout}. Output:\n{Output}");
        }

        return _process.ExitCode;
    }

    private void Add(string? line)
    {
        if (line is null) return;
        lock (_output)
        {
            _output.AppendLine(line);
            foreach (var (pattern, found) in _patterns)
            {
                var match = pattern.Match(line);
                if (match.Success) found.TrySetResult(match.Groups["url"].Value);
            }
        }
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // exited meanwhile
        }

        _process.Dispose();
    }
}
