using System.Diagnostics;
using Clive.Engine.Execution;
using Clive.Engine.Interop;
using Clive.Interop;

namespace Clive.Engine.Sandboxing;

/// <summary>How one cell's command ended inside a slot: its exit code (128 + n for signal n) and what it printed.</summary>
public sealed record SlotRun(int ExitCode, byte[] Stdout, byte[] Stderr);

/// <summary>
/// One bubblewrap sandbox kept for many cells, one after another: starting a sandbox costs tens of
/// milliseconds (namespaces, a dozen mounts), a cell that copies a file one. Inside, a small native
/// helper (<c>clive-slot</c>, see <see cref="SlotHelper"/>) starts each cell's command with
/// posix_spawn; when the command ends it kills every process left in the sandbox's pid namespace
/// and waits until none is left, and empties the message queues and System V IPC. The engine then
/// empties every directory a cell can write (the tree, the output, /tmp, /var/tmp, /dev/shm, the
/// helper's files) before the next cell, so a cell finds exactly what a sandbox of its own would
/// show it. The helper is undumpable (it says so itself, and its binary is a copy no one may
/// read): a cell cannot ptrace it or read its memory to spy on or tamper with the cells after it.
/// A cell that kills the helper ends the slot (<see cref="SlotDiedException"/>).
/// </summary>
public sealed class SandboxSlot : IDisposable
{
    private const string IoInside = "/clive/.io";
    private const string HelperInside = "/clive/.slot";
    private readonly Process _process;
    private readonly string _directory;
    private readonly Task _stderr;
    private readonly HashSet<string> _mountPoints;
    private bool _ran; // a cell ran since the last reset: the helper's "ready" is still to come
    private Action? _ended;

    private SandboxSlot(Process process, string directory, IReadOnlyList<string> shown, string domain, Action ended)
    {
        _ended = ended;
        Domain = domain;
        _process = process;
        _directory = directory;
        _mountPoints = MountPointsInScratch(directory, shown);
        Pid = process.Id;
        StartTime = ProcessIdentity.StartTime(Pid) ?? 0;
        // The helper itself prints nothing; drained so a message from bwrap never blocks it.
        _stderr = process.StandardError.BaseStream.CopyToAsync(Stream.Null);
    }

    /// <summary>Whose cells this slot runs (see <see cref="SlotPool"/>): it never runs another's.</summary>
    public string Domain { get; }

    /// <summary>The slot's process group (bwrap's pid), for the status and for a later engine to kill after a kill -9.</summary>
    public int Pid { get; }
    public long StartTime { get; }
    public string Tree => Path.Combine(_directory, "tree");
    public string Output => Path.Combine(_directory, "out");
    private string Io => Path.Combine(_directory, "io");
    private string[] Writable => [Tree, Output, Io, Path.Combine(_directory, "tmp"), Path.Combine(_directory, "vartmp"), Path.Combine(_directory, "shm")];

    /// <summary>
    /// Starts a slot in <paramref name="directory"/> (fresh, private); <paramref name="shell"/> is the
    /// unreadable copy of the helper; <paramref name="ended"/> is called once, when it is disposed.
    /// </summary>
    public static SandboxSlot Start(Sandbox sandbox, string directory, string helper, string domain, Action ended)
    {
        foreach (var name in new[] { "tree", "out", "io", "tmp", "vartmp", "shm" }) Directory.CreateDirectory(Path.Combine(directory, name));
        var spec = new SandboxSpec(
            [new SandboxBind(Path.Combine(directory, "tree"), Sandbox.TreeInside), new SandboxBind(Path.Combine(directory, "out"), Sandbox.OutputInside),
             new SandboxBind(Path.Combine(directory, "io"), IoInside)],
            Network: false, Sandbox.TreeInside, new Dictionary<string, string>(), Readable: null);
        var command = sandbox.WrapSlot([HelperInside + "/" + SlotHelper.FileName, IoInside + "/stdout", IoInside + "/stderr"], spec,
            Path.Combine(directory, "tmp"), Path.Combine(directory, "vartmp"), Path.Combine(directory, "shm"));
        // The helper, shown read-only (not at its host path, which names the store), before the root turns read-only.
        var withHelper = command.ToList();
        var at = withHelper.LastIndexOf("--remount-ro");
        withHelper.InsertRange(at, ["--ro-bind", Path.GetDirectoryName(helper)!, HelperInside]);
        var process = Process.Start(ProcessGroup.InNewSession(withHelper, directory)) ?? throw new CliveException("could not start setsid");
        return new SandboxSlot(process, directory, sandbox.Tools, domain, ended);
    }

    /// <summary>
    /// Runs one cell's command: <paramref name="request"/> from <see cref="SlotHelper.Request"/>.
    /// Cancelling kills the whole slot; the slot is then of no further use.
    /// </summary>
    public SlotRun Run(byte[] request, CancellationToken cancel)
    {
        // Synchronous on purpose: a cell that copies a file takes a millisecond, and every hop
        // through the thread pool (an async write, an async read, their continuations) costs as
        // much again on a busy machine. Cancelling kills the slot, which ends the read.
        cancel.ThrowIfCancellationRequested();
        string? line;
        using (cancel.Register(Kill))
        {
            try
            {
                _process.StandardInput.BaseStream.Write(request);
                _process.StandardInput.BaseStream.Flush();
                line = _process.StandardOutput.ReadLine();
            }
            catch (IOException e)
            {
                cancel.ThrowIfCancellationRequested();
                throw new SlotDiedException(e.Message);
            }
        }
        cancel.ThrowIfCancellationRequested();
        if (line is null || !int.TryParse(line, out var exitCode)) throw new SlotDiedException(line ?? "the helper exited");
        _ran = true;
        return new SlotRun(exitCode, ReadIo("stdout"), ReadIo("stderr"));
    }

    private byte[] ReadIo(string name)
    {
        var path = Path.Combine(Io, name);
        return File.Exists(path) ? File.ReadAllBytes(path) : [];
    }

    /// <summary>
    /// Waits for the helper to finish cleaning up after the last cell, and empties every directory a
    /// cell could write, for the next cell; false when something there resists (the slot must then go).
    /// </summary>
    public bool TryReset()
    {
        try
        {
            if (_ran && _process.StandardOutput.ReadLine() != "ready") return false;
            _ran = false;
            if (_process.HasExited) return false;
            foreach (var directory in Writable) Empty(directory);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Deletes what is in <paramref name="directory"/>, but not the directories the sandbox mounts tools on (nor their parents, only their other contents).</summary>
    private void Empty(string directory)
    {
        foreach (var entry in new DirectoryInfo(directory).EnumerateFileSystemInfos())
        {
            if (_mountPoints.Contains(entry.FullName + "/")) continue; // a tool (a file or a directory) is mounted here
            if (entry is DirectoryInfo { LinkTarget: null } sub)
            {
                if (_mountPoints.Contains(sub.FullName)) Empty(sub.FullName);
                else sub.Delete(recursive: true);
            }
            else entry.Delete();
        }
    }

    /// <summary>
    /// A tool under /tmp or /var/tmp (<c>clive up --tool /tmp/x</c>) is mounted inside on a directory
    /// bwrap made in the slot's own /tmp: removing that directory on the host would unmount the tool
    /// in the sandbox. These stay: the mount point (marked with a trailing slash) and its parents.
    /// </summary>
    private static HashSet<string> MountPointsInScratch(string directory, IReadOnlyList<string> shown)
    {
        var kept = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (inside, host) in new[] { ("/tmp/", "tmp"), ("/var/tmp/", "vartmp") })
            foreach (var tool in shown.Where(t => t.StartsWith(inside, StringComparison.Ordinal)))
            {
                var path = Path.Combine(directory, host, tool[inside.Length..]);
                kept.Add(path + "/");
                for (var at = path; at.Length > Path.Combine(directory, host).Length; at = Path.GetDirectoryName(at)!) kept.Add(at);
            }
        return kept;
    }

    public void Kill()
    {
        LibC.SignalGroup(Pid, LibC.SIGKILL);
    }

    public void Dispose()
    {
        Interlocked.Exchange(ref _ended, null)?.Invoke();
        Kill();
        try { _process.WaitForExit(5000); }
        catch (InvalidOperationException) { }
        _process.Dispose();
        try { Directory.Delete(_directory, recursive: true); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}

/// <summary>The slot's helper ended while a cell ran (the cell killed it, or bwrap failed): the cell runs again in a sandbox of its own.</summary>
public sealed class SlotDiedException(string message) : Exception($"the sandbox slot ended: {message}");
