using Clive.Engine.Execution;

namespace Clive.Engine.Sandboxing;

/// <summary>
/// The engine's idle <see cref="SandboxSlot"/>s: a run takes one (or starts one), and gives it back
/// emptied. A slot serves one trust domain (a repo's branch: whoever may run cells there) and is
/// never handed to another, so what emptying cannot reach (kernel state with no process or file)
/// stays among cells that one set of people may run anyway. At most as many slots are idle as cells
/// ran at once: an idle slot of another domain is ended to make room. A domain keeps up to
/// <paramref name="slotsPerDomain"/> slots (the engine's jobs and one more), so that a cell finds
/// one ready while the slot the last cell used is still being emptied. If a fresh slot cannot run
/// <c>true</c> (an older bubblewrap without <c>--mqueue</c>, say) or the helper was not built (no C
/// compiler at build time), slots are given up for good, the engine says so once, and every cell
/// gets a sandbox of its own: slower, as safe.
/// </summary>
public sealed class SlotPool(Sandbox sandbox, string workRoot, Action<string> log, int slotsPerDomain = 2) : IDisposable
{
    private readonly object _gate = new();
    private readonly List<(string Domain, SandboxSlot Slot)> _idle = [];
    private readonly Dictionary<string, int> _resetting = [];
    private readonly Dictionary<string, int> _live = []; // slots started and not yet ended, per domain
    private readonly Lazy<string> _helper = new(() => UnreadableHelper(workRoot));
    private volatile bool _unavailable;

    /// <summary>An emptied slot that only <paramref name="domain"/>'s cells have used, or null when slots do not work here.</summary>
    public SandboxSlot? Rent(string domain, CancellationToken cancel)
    {
        SandboxSlot? other = null;
        lock (_gate)
            while (true)
            {
                int mine = _idle.FindLastIndex(i => i.Domain == domain);
                if (mine >= 0)
                {
                    var idle = _idle[mine].Slot;
                    _idle.RemoveAt(mine);
                    return idle;
                }
                if (_resetting.GetValueOrDefault(domain) == 0 || _live.GetValueOrDefault(domain) < slotsPerDomain)
                {
                    _live[domain] = _live.GetValueOrDefault(domain) + 1;
                    // A new slot for this domain takes the place of an idle one of another.
                    if (_idle.Count > 0)
                    {
                        other = _idle[0].Slot;
                        _idle.RemoveAt(0);
                    }
                    break;
                }
                Monitor.Wait(_gate);
            }
        other?.Dispose();
        SandboxSlot? slot = null;
        try
        {
            if (_unavailable)
            {
                Ended(domain);
                return null;
            }
            slot = SandboxSlot.Start(sandbox, PrivateDirectory.Create(workRoot, "slot-"), _helper.Value, domain, () => Ended(domain));
            var probe = slot.Run(Probe, cancel);
            if (probe.ExitCode == 0 && slot.TryReset()) return slot;
            throw new SlotDiedException($"an empty cell ended with {probe.ExitCode}");
        }
        catch (OperationCanceledException)
        {
            End(slot, domain);
            throw;
        }
        catch (Exception e) when (e is SlotDiedException or IOException or UnauthorizedAccessException or System.ComponentModel.Win32Exception)
        {
            End(slot, domain);
            _unavailable = true;
            log($"clive up: every cell gets a sandbox of its own ({e.Message})");
            return null;
        }
    }

    /// <summary>A slot that failed to start or to run its first cell: ended, and no longer counted.</summary>
    private void End(SandboxSlot? slot, string domain)
    {
        if (slot is not null) slot.Dispose();
        else Ended(domain);
    }

    /// <summary>A slot of <paramref name="domain"/> ended (its <see cref="SandboxSlot.Dispose"/>, wherever that happened): a cell waiting may start another.</summary>
    private void Ended(string domain)
    {
        lock (_gate)
        {
            if (--_live[domain] == 0) _live.Remove(domain);
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>The trust domains with a slot being emptied now (each entry goes when its last slot is back).</summary>
    internal int DomainsBeingEmptied
    {
        get { lock (_gate) return _resetting.Count; }
    }

    /// <summary>Gives a slot back after a cell; one that cannot be emptied is ended instead.</summary>
    /// <remarks>
    /// Emptied in the background, while the engine stores the cell's result: the next cell of its
    /// domain that needs a slot waits for it rather than starting another sandbox.
    /// </remarks>
    public void Return(SandboxSlot slot)
    {
        lock (_gate) _resetting[slot.Domain] = _resetting.GetValueOrDefault(slot.Domain) + 1;
        Task.Run(() =>
        {
            var reusable = slot.TryReset();
            if (!reusable) slot.Dispose();
            lock (_gate)
            {
                // A domain's count goes when it drops to zero: domains come and go with branches.
                if (--_resetting[slot.Domain] == 0) _resetting.Remove(slot.Domain);
                if (reusable) _idle.Add((slot.Domain, slot));
                Monitor.PulseAll(_gate);
            }
        });
    }

    private static readonly byte[] Probe = SlotHelper.Request("/", new Dictionary<string, string>(), ["true"], shell: false)!;

    /// <summary>
    /// A copy of the helper that its owner may execute but not read: a process running an
    /// unreadable program is not dumpable (the helper also says so itself), so other processes of
    /// the same user (the cells) cannot ptrace it. Missing: a build without a C compiler.
    /// </summary>
    private static string UnreadableHelper(string workRoot)
    {
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("the engine runs cells on Linux only");
        if (!File.Exists(SlotHelper.Binary))
            throw new FileNotFoundException($"the slot helper {SlotHelper.Binary} is missing (it is built with a C compiler: install clang and build again)");
        var directory = PrivateDirectory.Create(workRoot, "helper-");
        var path = Path.Combine(directory, SlotHelper.FileName);
        File.Copy(SlotHelper.Binary, path);
        File.SetUnixFileMode(path, UnixFileMode.UserExecute);
        return path;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var (_, slot) in _idle) slot.Dispose();
            _idle.Clear();
        }
    }
}
