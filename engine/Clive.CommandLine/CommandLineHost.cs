using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;

namespace Clive.CommandLine;

/// <summary>
/// The one place where errors become output, for every clive executable: a user's mistake is one
/// "fatal: …" line and exit 128, as git does; a command line that does not parse is one "error:"
/// line and a pointer to --help, exit 129; a stack trace only with CLIVE_TRACE=1.
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
        try
        {
            return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (IsUsersProblem(e))
        {
            return Fatal(e);
        }
    }

    private static int WriteHelp(Command root, ParseResult help)
    {
        var text = new StringWriter();
        var status = help.Invoke(new InvocationConfiguration { Output = text });
        Console.Out.Write(OptionalArgumentLabels.Apply(root, text.ToString()));
        return status;
    }

    /// <summary>Reports an error that is the user's, not a bug: a missing store, a bad name, a disk that is full.</summary>
    public static int Fatal(Exception e)
    {
        Console.Error.WriteLine("fatal: " + e.Message);
        if (Environment.GetEnvironmentVariable("CLIVE_TRACE") == "1") Console.Error.WriteLine(e);
        return 128;
    }

    public static bool IsUsersProblem(Exception e)
        => e is CliveException or Microsoft.Data.Sqlite.SqliteException or IOException or UnauthorizedAccessException;

    private static IEnumerable<string> CommandPath(CommandResult result)
    {
        var names = new Stack<string>();
        for (var r = result; r.Parent is CommandResult parent; r = parent) names.Push(r.Command.Name);
        return names;
    }
}
