using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;

namespace Clive.CommandLine;

/// <summary>
/// The command-line host of clive and clive-engine: a command line that does not parse is one
/// "error:" line and a pointer to --help, exit 129; errors while running follow
/// <see cref="ErrorPolicy"/> (one "fatal:" line, exit 128, the stack only with CLIVE_TRACE=1).
/// </summary>
public static class CommandLineHost
{
    public static int Run(Command root, string[] args)
    {
        var parsed = root.Parse(args);
        if (args.Length == 0)
        {
            WriteHelp(root, root.Parse(["--help"]));
            return 1;
        }
        if (parsed.Action is HelpAction) return WriteHelp(root, parsed);
        if (parsed.Errors.Count > 0 && !args.Contains("--help") && !args.Contains("-h"))
        {
            Console.Error.WriteLine("error: " + (parsed.UnmatchedTokens.Count > 0
                ? $"unknown command or argument '{parsed.UnmatchedTokens[0]}'"
                : parsed.Errors[0].Message));
            var command = string.Join(' ', CommandPath(parsed.CommandResult).Prepend(root.Name));
            Console.Error.WriteLine($"See '{command} --help'.");
            return 129;
        }
        return ErrorPolicy.Run(() => parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false }));
    }

    private static int WriteHelp(Command root, ParseResult help)
    {
        var text = new StringWriter();
        var status = help.Invoke(new InvocationConfiguration { Output = text });
        Console.Out.Write(OptionalArgumentLabels.Apply(root, text.ToString()));
        return status;
    }

    private static IEnumerable<string> CommandPath(CommandResult result)
    {
        var names = new Stack<string>();
        for (var r = result; r.Parent is CommandResult parent; r = parent) names.Push(r.Command.Name);
        return names;
    }
}
