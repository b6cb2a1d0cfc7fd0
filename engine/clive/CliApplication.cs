using System.CommandLine;
using Clive.Cli.Commands;

namespace Clive.Cli;

/// <summary>
/// Builds the command tree and is the one place where errors become output: a user's mistake is
/// one "fatal: …" line and exit 128, as git does; a stack trace only with CLIVE_TRACE=1.
/// </summary>
public static class CliApplication
{
    public static int Run(string[] args)
    {
        var root = new RootCommand("clive: a Git object and ref store in SQLite, and the reactive engine on top of it.");
        root.Options.Add(GlobalOptions.Store);
        root.Subcommands.Add(RepoCommands.Create());
        root.Subcommands.Add(RefsCommand.Create());
        root.Subcommands.Add(LogCommand.Create());
        root.Subcommands.Add(EventsCommand.Create());
        root.Subcommands.Add(FsckCommand.Create());
        root.Subcommands.Add(GcCommand.Create());
        root.Subcommands.Add(KeysCommands.Create());
        root.Subcommands.Add(GrantCommands.Grant());
        root.Subcommands.Add(GrantCommands.Revoke());
        root.Subcommands.Add(GrantCommands.List());
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(EngineCommands.Up());
        root.Subcommands.Add(EngineCommands.RunCell());
        root.Subcommands.Add(StatusCommand.Create());
        root.Subcommands.Add(StatusCommand.Watch());
        root.Subcommands.Add(LogsCommand.Create());
        var config = new InvocationConfiguration { EnableDefaultExceptionHandler = false };
        try
        {
            if (EngineLauncher.IsEngineCommand(args)) return EngineLauncher.Exec(args);
        }
        catch (CliveException e)
        {
            Console.Error.WriteLine("fatal: " + e.Message);
            return 128;
        }
        var parsed = root.Parse(args);
        if (args.Length == 0)
        {
            parsed = root.Parse(["--help"]);
            parsed.Invoke(config);
            return 1;
        }
        if (parsed.Errors.Count > 0 && !args.Contains("--help") && !args.Contains("-h"))
        {
            // One line naming the problem, one saying where help is: as git does (exit 129).
            Console.Error.WriteLine("error: " + (parsed.UnmatchedTokens.Count > 0
                ? $"unknown command or argument '{parsed.UnmatchedTokens[0]}'"
                : parsed.Errors[0].Message));
            var command = string.Join(' ', parsed.CommandResult.Command is RootCommand ? [] : CommandPath(parsed.CommandResult));
            Console.Error.WriteLine($"See 'clive {command}{(command.Length > 0 ? " " : "")}--help'.");
            return 129;
        }
        try
        {
            return parsed.Invoke(config);
        }
        catch (Exception e) when (e is CliveException or Microsoft.Data.Sqlite.SqliteException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine("fatal: " + e.Message);
            if (Environment.GetEnvironmentVariable("CLIVE_TRACE") == "1") Console.Error.WriteLine(e);
            return 128;
        }
    }

    private static IEnumerable<string> CommandPath(System.CommandLine.Parsing.CommandResult result)
    {
        var names = new Stack<string>();
        for (var r = result; r is not null && r.Command is not RootCommand; r = r.Parent as System.CommandLine.Parsing.CommandResult)
            names.Push(r.Command.Name);
        return names;
    }
}
