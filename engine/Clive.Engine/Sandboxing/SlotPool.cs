using Clive.Engine.Execution;

namespace Clive.Engine.Sandboxing;

/// <summary>
/// The engine's idle <see cref="SandboxSlot"/>s: a run takes one (or starts one), and gives it back
/// emptied. At most as many exist as cells run at once. If a fresh slot cannot run an empty cell
/// (an older bubblewrap without <c>--mqueue</c>, say), slots are given up for good and every cell
/// gets a sandbox of its own, as before.
/// </summary>
public sealed class SlotPool(Sandbox sandbox, string workRoot, Action<string> log) : IDisposable
{
    private readonly object _gate = new();
    private readonly Stack<SandboxSlot> _idle = [];
    private int _resetting;
    private readonly Lazy<string> _shell = new(() => UnreadableShell(workRoot));
    private volatile bool _unavailable;

    /// <summary>An emptied slot, or null when slots do not work here.</summary>
    public SandboxSlot? Rent(CancellationToken cancel)
    {
        lock (_gate)
            while (true)
            {
                if (_idle.TryPop(out var idle)) return idle;
                if (_resetting == 0) break;
                Monitor.Wait(_gate);
            }
        if (_unavailable) return null;
        SandboxSlot? slot = null;
        try
        {
            slot = SandboxSlot.Start(sandbox, PrivateDirectory.Create(workRoot, "slot-"), _shell.Value);
            var probe = slot.Run("exit 0\n", cancel);
            if (probe.ExitCode == 0 && slot.TryReset()) return slot;
            throw new SlotDiedException($"an empty cell ended with {probe.ExitCode}");
        }
        catch (OperationCanceledException)
        {
            slot?.Dispose();
            throw;
        }
        catch (Exception e) when (e is SlotDiedException or IOException or UnauthorizedAccessException or System.ComponentModel.Win32Exception)
        {
            slot?.Dispose();
            _unavailable = true;
            log($"clive up: every cell gets a sandbox of its own ({e.Message})");
            return null;
        }
    }

    /// <summary>Gives a slot back after a cell; one that cannot be emptied is ended instead.</summary>
    /// <remarks>
    /// Emptied in the background, while the engine stores the cell's result: the next cell that
    /// needs a slot waits for it rather than starting another sandbox.
    /// </remarks>
    public void Return(SandboxSlot slot)
    {
        lock (_gate) _resetting++;
        Task.Run(() =>
        {
            var reusable = slot.TryReset();
            if (!reusable) slot.Dispose();
            lock (_gate)
            {
                _resetting--;
                if (reusable) _idle.Push(slot);
                Monitor.PulseAll(_gate);
            }
        });
    }

    /// <summary>
    /// A copy of /bin/sh that its owner may execute but not read: a process running an unreadable
    /// program is not dumpable, so other processes of the same user (the cells) cannot ptrace it.
    /// </summary>
    private static string UnreadableShell(string workRoot)
    {
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("the engine runs cells on Linux only");
        var directory = PrivateDirectory.Create(workRoot, "shell-");
        var path = Path.Combine(directory, "sh");
        File.Copy("/bin/sh", path);
        File.SetUnixFileMode(path, UnixFileMode.UserExecute);
        return path;
    }

    public void Dispose()
    {
        lock (_gate)
            while (_idle.TryPop(out var slot)) slot.Dispose();
    }
}
