using System.Runtime.InteropServices;
using Clive.Interop;
using Clive.Store.Cells;

namespace Clive.Core.Store.Engines;

/// <summary>How a stop of a store's engine went.</summary>
/// <param name="Pid">The engine's process; null when none ran.</param>
/// <param name="LastStopped">With none running: when the last one stopped cleanly, if it did.</param>
public sealed record EngineStopOutcome(int? Pid, bool Killed, DateTimeOffset? LastStopped)
{
    public bool WasRunning => Pid is not null;
}

/// <summary>
/// Stops a store's engine as Ctrl-C does: SIGTERM, after which it stops its services, records
/// their state and exits; SIGKILL if it is still there after the grace period. Returns once the
/// process is gone. One place for `clive down` and the `engine-down` verb over SSH.
/// </summary>
public static partial class EngineShutdown
{
    private const int SigTerm = 15, SigKill = 9;

    public static EngineStopOutcome Stop(string storeDirectory, TimeSpan grace)
    {
        var liveness = EngineLock.Probe(storeDirectory);
        if (liveness.Unknown is { } unknown) throw new CliveException($"cannot tell whether an engine runs: {unknown}");
        // As `systemctl stop` on a stopped unit: the wanted state holds already.
        if (liveness is not { Running: true, Pid: { } pid } || ProcessIdentity.StartTime(pid) is not { } start)
            return new EngineStopOutcome(null, false, liveness.Stopped);
        Kill(pid, SigTerm);
        if (WaitGone(pid, start, grace)) return new EngineStopOutcome(pid, false, null);
        Kill(pid, SigKill);
        WaitGone(pid, start, TimeSpan.FromSeconds(30));
        return new EngineStopOutcome(pid, true, null);
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
