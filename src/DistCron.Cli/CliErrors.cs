using System.CommandLine;

namespace DistCron.Cli;

/// <summary>Turns System.CommandLine's parse errors into one message that says what to change.</summary>
internal static class CliErrors
{
    /// <summary>The first problem of the command line, or null when it parsed.</summary>
    public static string? Describe(CliDefinition cli, ParseResult parse, IReadOnlyList<string> args)
    {
        if (parse.Errors.Count == 0) return null;
        var command = parse.CommandResult.Command;
        foreach (var token in parse.UnmatchedTokens)
        {
            if (command == cli.Root && !token.StartsWith('-')) return $"Unknown command '{Secrets.Shown(token)}'. Commands: {Names(cli)}.";
            if (!token.StartsWith('-'))
            {
                return command == cli.Root
                    ? $"Unknown command '{Secrets.Shown(token)}'. Commands: {Names(cli)}."
                    : $"'{command.Name}' takes {(command.Arguments.Count == 0 ? "no argument" : "one job name")} (unexpected '{Secrets.Shown(token)}').";
            }

            var name = token.Split('=', ':')[0];
            if (command == cli.Root) return $"Give a command before the option '{Secrets.Shown(name)}'. Commands: {Names(cli)}.";
            return cli.OptionNames.Contains(name)
                ? $"The option '{name}' does not apply to '{command.Name}' (see 'distcron {command.Name} --help')."
                : $"Unknown option '{Secrets.Shown(name)}' (see 'distcron {command.Name} --help').";
        }

        return parse.Errors[0].Message;
    }

    private static string Names(CliDefinition cli) => string.Join(", ", cli.Root.Subcommands.Where(c => !c.Hidden).Select(c => c.Name));
}
