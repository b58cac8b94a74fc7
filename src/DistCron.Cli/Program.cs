using System.Data.Common;
using System.Net.Sockets;
using System.Reflection;
using DistCron.Cli;

// Entry point: parse, run one command, map failures to exit codes. Messages never contain the connection string:
// they are written without it, and every message printed on failure is also redacted (Secrets) as a last defence.
var secrets = Secrets.Collect(args, Environment.GetEnvironmentVariable(Commands.ConnectionVariable));
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

CliArguments arguments;
try
{
    arguments = CliArguments.Parse(args);
}
catch (UsageException ex)
{
    return Fail(ExitCodes.Usage, ex.Message + " Run 'distcron --help' for usage.");
}

if (arguments.Has("version"))
{
    Console.WriteLine(typeof(Commands).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown");
    return ExitCodes.Ok;
}

if (arguments.Command is null || arguments.Has("help") || arguments.Command == "help")
{
    Console.WriteLine(Commands.Usage);
    return arguments.Command is null && !arguments.Has("help") ? ExitCodes.Usage : ExitCodes.Ok;
}

try
{
    return await Commands.RunAsync(arguments, Console.Out, cancel.Token);
}
catch (UsageException ex)
{
    return Fail(ExitCodes.Usage, ex.Message + " Run 'distcron --help' for usage.");
}
catch (DistCron.DistCronJobNotFoundException ex)
{
    return Fail(ExitCodes.NotFound, ex.Message);
}
catch (StoreUnreachableException ex)
{
    return Fail(ExitCodes.StoreUnreachable, ex.Message);
}
catch (InvalidOperationException ex) when (ex.Message.StartsWith("DistCron job", StringComparison.Ordinal))
{
    return Fail(ExitCodes.Refused, ex.Message);
}
catch (OperationCanceledException) when (cancel.IsCancellationRequested)
{
    return Fail(ExitCodes.Error, "Cancelled.");
}
catch (Exception ex) when (ex is DbException or SocketException or TimeoutException or IOException)
{
    return Fail(ExitCodes.StoreUnreachable, $"Cannot reach the DistCron store: {Commands.Describe(ex)}");
}
catch (ArgumentException ex)
{
    // Argument messages name the rule; the " (Parameter 'x')" suffix is noise on a command line.
    var message = ex.Message;
    var suffix = message.IndexOf(" (Parameter '", StringComparison.Ordinal);
    return Fail(ExitCodes.Usage, suffix > 0 ? message[..suffix] : message);
}
catch (Exception ex)
{
    // Anything else would reach the runtime's unhandled-exception printer, with a message nobody vetted.
    return Fail(ExitCodes.Error, $"Unexpected {ex.GetType().Name}: {Commands.Describe(ex)}");
}

int Fail(int code, string message)
{
    Console.Error.WriteLine("distcron: " + Secrets.Redact(message, secrets));
    return code;
}
