using System.CommandLine;
using System.CommandLine.Help;
using System.Data.Common;
using System.Net.Sockets;
using DistCron.Cli;

// Entry point: parse, run one command, map failures to exit codes. Messages never contain the connection string:
// they are written without it, and every message printed on failure is also redacted (Secrets) as a last defence.
var secrets = Secrets.Collect(args, Environment.GetEnvironmentVariable(CliDefinition.ConnectionVariable));
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

var cli = new CliDefinition();
var parse = cli.Parse(args);
// A --json command line gets its errors as JSON too, even when the rest of it did not parse.
var json = args.Contains("--json", StringComparer.Ordinal);

if (args.Length == 0 || (args.Length == 1 && args[0] == "help"))
{
    Console.WriteLine(Commands.Usage);
    return args.Length == 0 ? ExitCodes.Usage : ExitCodes.Ok;
}

if (parse.Action is HelpAction)
{
    if (parse.CommandResult.Command == cli.Root) Console.WriteLine(Commands.Usage);
    else parse.Invoke(new InvocationConfiguration { Output = Console.Out, Error = Console.Error });
    return ExitCodes.Ok;
}

if (parse.Errors.Count == 0 && parse.GetResult(cli.Root.Options.OfType<VersionOption>().Single()) is not null)
{
    parse.Invoke(new InvocationConfiguration { Output = Console.Out, Error = Console.Error });
    return ExitCodes.Ok;
}

if (CliErrors.Describe(cli, parse, args) is { } usage) return Fail(ExitCodes.Usage, usage + " Run 'distcron --help' for usage.");

try
{
    return await Commands.RunAsync(cli, parse, Console.Out, cancel.Token);
}
catch (UsageException ex)
{
    return Fail(ExitCodes.Usage, ex.Message + " Run 'distcron --help' for usage.");
}
catch (UnknownAppException ex)
{
    return Fail(ExitCodes.NotFound, ex.Message, ex.Apps);
}
catch (DistCron.DistCronJobNotFoundException ex)
{
    return Fail(ExitCodes.NotFound, ex.Message);
}
catch (StoreUnreachableException ex)
{
    return Fail(ExitCodes.StoreUnreachable, ex.Message);
}
catch (StatementTimedOutException ex)
{
    return Fail(ExitCodes.TimedOut, ex.Message);
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
    return Fail(ExitCodes.StoreUnreachable, $"Cannot reach the DistCron store: {StoreConnection.Describe(ex)}");
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
    return Fail(ExitCodes.Error, $"Unexpected {ex.GetType().Name}: {StoreConnection.Describe(ex)}");
}

int Fail(int code, string message, IReadOnlyList<string>? apps = null)
{
    message = Secrets.Redact(Secrets.HideConnectionStrings(message, args), secrets);
    // With --json the error is the one document on stdout, so a script reads it where it reads results.
    if (json) Console.Out.WriteLine(JsonOutput.Error(code, message, apps));
    else Console.Error.WriteLine("distcron: " + message);
    return code;
}
