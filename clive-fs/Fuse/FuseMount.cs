using System.Runtime.InteropServices;
using Clive.Fs;


namespace Clive.FsHost.Fuse;

/// <summary>
/// One libfuse session: mounted on construction, served by <see cref="Run"/>, and unmounted when
/// the loop ends (fusermount3 -u, or <see cref="Stop"/> from a signal).
/// </summary>
internal sealed unsafe class FuseMount : IDisposable
{
    private readonly nint* _operations;
    private GCHandle _self;
    private nint _session;
    private readonly string _mountpoint;
    private int _stopped;

    public FuseMount(MountedTree tree, string mountpoint, string options, Action<string> log)
    {
        _mountpoint = mountpoint;
        _operations = FuseFileSystem.CreateOperations();
        _self = GCHandle.Alloc(new FuseFileSystem(tree, log));
        var argv = new[] { "clive-fs", "-o", options }.Select(Marshal.StringToCoTaskMemUTF8).ToArray();
        try
        {
            fixed (nint* argvPointer = argv)
            {
                var args = new LibFuse.Args { Argc = argv.Length, Argv = (byte**)argvPointer };
                _session = LibFuse.SessionNew(&args, _operations, (nuint)((int)LibFuse.Op.Count * sizeof(nint)), GCHandle.ToIntPtr(_self));
            }
            if (_session == 0) throw new CliveException($"libfuse refused the mount options '{options}'");
            var path = (byte*)Marshal.StringToCoTaskMemUTF8(mountpoint);
            try
            {
                if (LibFuse.SessionMount(_session, path) != 0)
                    throw new CliveException($"cannot mount on '{mountpoint}' (is FUSE available, and the directory not already mounted?)");
            }
            finally
            {
                Marshal.FreeCoTaskMem((nint)path);
            }
        }
        catch
        {
            Dispose();
            throw;
        }
        finally
        {
            foreach (var a in argv) Marshal.FreeCoTaskMem(a);
        }
    }

    /// <summary>
    /// Tells the kernel to forget changed names and contents. Called from the follower thread:
    /// never from a request handler, where it could wait on the very loop that must answer.
    /// </summary>
    public void Invalidate(Invalidations changes)
    {
        if (Volatile.Read(ref _stopped) != 0) return;
        foreach (var (parent, name) in changes.Entries)
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes(name);
            fixed (byte* p = bytes) LibFuse.NotifyInvalidateEntry(_session, parent, p, (nuint)bytes.Length);
        }
        // Offset 0, length 0: all cached pages and attributes. ENOENT means the kernel never had it: fine.
        foreach (var inode in changes.Inodes) LibFuse.NotifyInvalidateInode(_session, inode, 0, 0);
    }

    /// <summary>Serves requests until the file system is unmounted.</summary>
    public int Run() => LibFuse.SessionLoop(_session);

    /// <summary>
    /// Ends the loop from another thread (Ctrl-C, SIGTERM) by unmounting as a user would: the
    /// kernel then ends the connection and the loop returns on its own thread. libfuse's own
    /// unmount must not be called here: it closes the descriptor the loop is reading.
    /// </summary>
    public void Stop()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0) return;
        LibFuse.SessionExit(_session);
        var unmount = new System.Diagnostics.ProcessStartInfo("fusermount3") { UseShellExecute = false };
        foreach (var arg in new[] { "-u", "-z", _mountpoint }) unmount.ArgumentList.Add(arg);
        System.Diagnostics.Process.Start(unmount)?.WaitForExit();
    }

    public void Dispose()
    {
        if (_session != 0)
        {
            LibFuse.SessionUnmount(_session);
            LibFuse.SessionDestroy(_session);
            _session = 0;
        }
        if (_self.IsAllocated) _self.Free();
        NativeMemory.Free(_operations);
    }
}
