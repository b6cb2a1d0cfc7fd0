using System.CommandLine;

namespace Clive.Cli.Commands;

/// <summary>
/// The engine's commands as `clive --help` lists them: only listed, never parsed or run here. clive
/// hands them, arguments and all, to clive-engine (<see cref="EngineLauncher"/>), whose --help says the rest.
/// </summary>
internal static class EngineCommands
{
    public static Command Up() => Forwarded("up", "Run the engine: follow ref changes and run the cells of each watched ref's clive.csx whose inputs changed");

    public static Command RunCell() => Forwarded("run", "Run one cell now, even if its result is cached");

    private static Command Forwarded(string name, string description) => new(name, description);
}
