using System.CommandLine;
using Clive.Cli.Commands;
using Clive.CommandLine;

namespace Clive.Cli;

/// <summary>
/// Builds the command tree; <see cref="CommandLineHost"/> runs it and turns errors into output.
/// The engine's commands go to clive-engine before anything is parsed (<see cref="EngineLauncher"/>).
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
        root.Subcommands.Add(TrustCommands.Create());
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(EngineCommands.Up());
        root.Subcommands.Add(EngineCommands.RunCell());
        root.Subcommands.Add(DownCommand.Create());
        root.Subcommands.Add(EnginesCommand.Create());
        root.Subcommands.Add(StatusCommand.Create());
        root.Subcommands.Add(StatusCommand.Watch());
        root.Subcommands.Add(LogsCommand.Create());
        root.Subcommands.Add(WhyCommand.Create());
        root.Subcommands.Add(EntityCommands.Create());
        if (EngineLauncher.IsEngineCommand(args)) return ErrorPolicy.Run(() => EngineLauncher.Exec(args));
        return CommandLineHost.Run(root, args);
    }
}
