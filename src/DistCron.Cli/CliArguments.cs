namespace DistCron.Cli;

/// <summary>A command line parsed by hand: one command, positional arguments and <c>--name value</c> options.</summary>
internal sealed class CliArguments
{
    // Options that take no value; every other option takes exactly one.
    private static readonly HashSet<string> Flags = new(StringComparer.Ordinal) { "json", "help", "version" };

    private static readonly HashSet<string> Known = new(StringComparer.Ordinal)
    {
        "json", "help", "version", "connection", "sqlite", "store", "schema", "app", "limit", "status", "before",
    };

    private readonly Dictionary<string, string> _options = new(StringComparer.Ordinal);

    public string? Command { get; private set; }

    public List<string> Positional { get; } = [];

    public bool Has(string option) => _options.ContainsKey(option);

    public string? Get(string option) => _options.TryGetValue(option, out var value) ? value : null;

    /// <summary>Parses <paramref name="args"/>; throws <see cref="UsageException"/> with a precise message.</summary>
    public static CliArguments Parse(IReadOnlyList<string> args)
    {
        var parsed = new CliArguments();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg is "-h" or "-?") arg = "--help";
            if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                var name = arg[2..];
                string? value = null;
                var eq = name.IndexOf('=', StringComparison.Ordinal);
                if (eq >= 0) (name, value) = (name[..eq], name[(eq + 1)..]);
                if (!Known.Contains(name)) throw new UsageException($"Unknown option '--{name}'.");
                if (parsed._options.ContainsKey(name)) throw new UsageException($"Option '--{name}' is given twice.");
                if (Flags.Contains(name))
                {
                    if (value is not null) throw new UsageException($"Option '--{name}' takes no value.");
                    value = "true";
                }
                else if (value is null)
                {
                    if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal)) throw new UsageException($"Option '--{name}' needs a value.");
                    value = args[++i];
                }

                parsed._options[name] = value;
            }
            else if (parsed.Command is null)
            {
                parsed.Command = arg;
            }
            else
            {
                parsed.Positional.Add(arg);
            }
        }

        return parsed;
    }
}

/// <summary>Bad command line: exit code 2 with the message and a pointer to --help.</summary>
internal sealed class UsageException(string message) : Exception(message);
