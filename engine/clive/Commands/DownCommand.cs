using System.CommandLine;
using Clive.Core.Store.Engines;
using Clive.Store;

namespace Clive.Cli.Commands;

/// <summary>
/// `clive down`: stops the store's engine (one started with `clive up --detach`, or in a terminal)
/// as Ctrl-C does (<see cref="EngineShutdown"/>). Returns once the process is gone.
/// </summary>
internal static class DownCommand
{
    public static Command Create()
    {
        var timeout = new Option<int>("--timeout") { Description = "Seconds to wait for a clean stop before SIGKILL", DefaultValueFactory = _ => 60 };
        var command = new Command("down", "Stop the store's engine (SIGTERM: services stopped and recorded; SIGKILL after --timeout) and wait until it is gone; "
            + "with none running, say so and exit 0") { timeout };
        command.SetAction(result =>
        {
            if (result.GetValue(timeout) < 0) throw new UsageException("--timeout must be 0 or more");
            // No database needed: the engine's state file says who runs, and a store that does not exist runs no engine.
            var directory = StoreLocation.Resolve(result.GetValue(GlobalOptions.Store));
            var outcome = EngineShutdown.Stop(directory, TimeSpan.FromSeconds(result.GetValue(timeout)));
            if (outcome.Pid is not { } pid)
                Console.Out.WriteLine($"clive down: no engine is running on the store {directory}"
                    + (outcome.LastStopped is { } stopped ? $" (the last one stopped {stopped.ToLocalTime():yyyy-MM-dd HH:mm:ss})" : ""));
            else if (!outcome.Killed) Console.Out.WriteLine($"clive down: engine (pid {pid}) stopped");
            else Console.Out.WriteLine($"clive down: engine (pid {pid}) did not stop within {result.GetValue(timeout)} s and was killed; "
                + "services it left running are stopped by the next clive up");
            return 0;
        });
        return command;
    }
}
