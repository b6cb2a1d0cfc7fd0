using System.Runtime.InteropServices;

namespace Clive.FsHost.Fuse;

/// <summary>The few libc calls the mount needs: files it shows belong to whoever mounted them.</summary>
internal static partial class LibC
{
    [LibraryImport("libc", EntryPoint = "getuid")]
    public static partial uint GetUid();

    [LibraryImport("libc", EntryPoint = "getgid")]
    public static partial uint GetGid();
}
