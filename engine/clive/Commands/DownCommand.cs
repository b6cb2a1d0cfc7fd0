using System.CommandLine;
using System.Runtime.InteropServices;
using Clive.Interop;
using Clive.Store;
using Clive.Store.Cells;

namespace Clive.Cli.Commands;

/// <summary>
/// `clive down`: stops the store's engine (one started with `clive up --detach`, or in a terminal)
/// as Ctrl-C does: SIGTERM, after which it stops its services, records their state and exits;
/// SIGKILL if it is still there after the grace period. Returns once the process is gone.
/// </summary>
internal static partial class DownCommand
{
    private const int SigTerm = 15, SigKill = 9;

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
            var liveness = EngineLock.Probe(directory);
            if (liveness.Unknown is { } unknown) throw new CliveException($"cannot tell whether an engine runs: {unknown}");
            // As `systemctl stop` on a stopped unit: the wanted state holds already, which is success.
            if (liveness is not { Running: true, Pid: { } pid } || ProcessIdentity.StartTime(pid) is not { } start)
            {
                Console.Out.WriteLine($"clive down: no engine is running on the store {directory}"
                    + (liveness.Stopped is { } stopped ? $" (the last one stopped {stopped.ToLocalTime():yyyy-MM-dd HH:mm:ss})" : ""));
                return 0;
            }
            Kill(pid, SigTerm);
            if (WaitGone(pid, start, TimeSpan.FromSeconds(result.GetValue(timeout))))
            {
                Console.Out.WriteLine($"clive down: engine (pid {pid}) stopped");
                return 0;
            }
            Kill(pid, SigKill);
            WaitGone(pid, start, TimeSpan.FromSeconds(30));
            Console.Out.WriteLine($"clive down: engine (pid {pid}) did not stop within {result.GetValue(timeout)} s and was killed; "
                + "services it left running are stopped by the next clive up");
            return 0;
        });
        return command;
    }

    /// <summary>Waits for the process to go (it is not our child: nothing to wait on but its /proc entry).</summary>
    private static bool WaitGone(int pid, long start, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (ProcessIdentity.IsAlive(pid, start))
        {
            if (DateTime.UtcNow >= deadline) return false;
            Thread.Sleep(20);
        }
        return true;
    }

    private static void Kill(int pid, int signal)
    {
        // ESRCH: it ended between the check and the signal, which is what was wanted.
        if (SendSignal(pid, signal) != 0 && Marshal.GetLastPInvokeError() != 3)
            throw new CliveException($"cannot signal the engine (pid {pid}): error {Marshal.GetLastPInvokeError()}");
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SendSignal(int pid, int signal);
}
