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
        var config = new InvocationConfiguration { EnableDefaultExceptionHandler = false };
        try
        {
            return root.Parse(args).Invoke(config);
        }
        catch (Exception e) when (e is CliveException or Microsoft.Data.Sqlite.SqliteException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine("fatal: " + e.Message);
            if (Environment.GetEnvironmentVariable("CLIVE_TRACE") == "1") Console.Error.WriteLine(e);
            return 128;
        }
    }
}
