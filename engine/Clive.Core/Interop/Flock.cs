using System.Runtime.InteropServices;

namespace Clive.Interop;

/// <summary>
/// Raw imports for advisory file locks. .NET's FileStream takes a non-blocking flock of its own on
/// every file it opens (and fails when another process holds an exclusive one), so a lock that
/// must be waited for, shared or exclusive, is taken on a descriptor .NET never sees.
/// </summary>
internal static partial class Flock
{
    private const string Library = "libc";

    public const int Shared = 1;
    public const int Exclusive = 2;
    public const int NonBlocking = 4;

    private const int ReadWrite = 2;
    private const int Create = 0x40;
    private const int CloseOnExec = 0x80000;
    private const int Interrupted = 4;
    private const int WouldBlock = 11;

    [LibraryImport(Library, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags, int mode);

    [LibraryImport(Library, EntryPoint = "flock", SetLastError = true)]
    private static partial int FlockCall(int fd, int operation);

    [LibraryImport(Library, EntryPoint = "close")]
    public static partial int Close(int fd);

    /// <summary>Opens (creating, owner-only) the lock file at <paramref name="path"/>; the descriptor is not inherited by children.</summary>
    public static int OpenLockFile(string path)
    {
        int fd = Open(path, ReadWrite | Create | CloseOnExec, Convert.ToInt32("600", 8));
        if (fd < 0) throw new CliveException($"cannot open lock file {path}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        return fd;
    }

    /// <summary>Takes the lock, waiting for it unless <see cref="NonBlocking"/> is given; false only when that flag is and the lock is held elsewhere.</summary>
    public static bool Lock(int fd, int operation, string path)
    {
        while (true)
        {
            if (FlockCall(fd, operation) == 0) return true;
            int errno = Marshal.GetLastPInvokeError();
            if (errno == Interrupted) continue;
            if (errno == WouldBlock && (operation & NonBlocking) != 0) return false;
            throw new CliveException($"cannot lock {path}: {Marshal.GetPInvokeErrorMessage(errno)}");
        }
    }
}
