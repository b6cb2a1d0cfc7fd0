using System.Runtime.InteropServices;

namespace Clive.Engine.Interop;

/// <summary>The few libc calls the engine needs to manage process groups. All native calls live here.</summary>
internal static partial class LibC
{
    public const int SIGTERM = 15;
    public const int SIGKILL = 9;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    /// <summary>Signals every process of the group <paramref name="group"/>; false when none is left.</summary>
    public static bool SignalGroup(int group, int signal) => group > 1 && Kill(-group, signal) == 0;

    [LibraryImport("libc", EntryPoint = "geteuid")]
    public static partial uint EffectiveUserId();

    private const int AtCurrentDirectory = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxUid = 0x8;

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static unsafe partial int Statx(int directoryFd, string path, int flags, uint mask, byte* buffer);

    /// <summary>
    /// The owner of <paramref name="path"/> itself (a symlink is not followed), or null when it
    /// cannot be read. statx, unlike stat, has one layout on every architecture: stx_uid at byte 20.
    /// </summary>
    public static unsafe uint? OwnerOf(string path)
    {
        byte* buffer = stackalloc byte[256];
        return Statx(AtCurrentDirectory, path, AtSymlinkNoFollow, StatxUid, buffer) == 0 ? *(uint*)(buffer + 20) : null;
    }
}
