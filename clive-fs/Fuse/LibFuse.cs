using System.Runtime.InteropServices;

namespace Clive.FsHost.Fuse;

/// <summary>
/// Raw imports from libfuse3 (3.x low-level API), the only place that knows its ABI. Layouts are
/// those of x86-64 Linux, checked against fuse_lowlevel.h 3.14 with offsetof: struct stat 144
/// bytes, fuse_entry_param 176, fuse_file_info 40 (flags word at 4, fh at 16), and a
/// fuse_lowlevel_ops of 44 function pointers.
/// </summary>
internal static unsafe partial class LibFuse
{
    private const string Library = "libfuse3.so.3";

    [StructLayout(LayoutKind.Sequential)]
    public struct Args
    {
        public int Argc;
        public byte** Argv;
        public int Allocated;
    }

    [StructLayout(LayoutKind.Explicit, Size = 144)]
    public struct Stat
    {
        [FieldOffset(8)] public ulong Ino;
        [FieldOffset(16)] public ulong Nlink;
        [FieldOffset(24)] public uint Mode;
        [FieldOffset(28)] public uint Uid;
        [FieldOffset(32)] public uint Gid;
        [FieldOffset(40)] public ulong Rdev;
        [FieldOffset(48)] public long Size;
        [FieldOffset(56)] public long BlockSize;
        [FieldOffset(64)] public long Blocks;
        [FieldOffset(72)] public long AccessSeconds;
        [FieldOffset(80)] public long AccessNanoseconds;
        [FieldOffset(88)] public long ModifySeconds;
        [FieldOffset(96)] public long ModifyNanoseconds;
        [FieldOffset(104)] public long ChangeSeconds;
        [FieldOffset(112)] public long ChangeNanoseconds;
    }

    /// <summary>setattr's to_set bits (fuse_lowlevel.h).</summary>
    [Flags]
    public enum SetAttrFlags
    {
        Mode = 1, Uid = 2, Gid = 4, Size = 8, Atime = 16, Mtime = 32, AtimeNow = 128, MtimeNow = 256, Ctime = 1024,
    }

    [StructLayout(LayoutKind.Explicit, Size = 176)]
    public struct EntryParam
    {
        [FieldOffset(0)] public ulong Ino;
        [FieldOffset(8)] public ulong Generation;
        [FieldOffset(16)] public Stat Attr;
        [FieldOffset(160)] public double AttrTimeout;
        [FieldOffset(168)] public double EntryTimeout;
    }

    [StructLayout(LayoutKind.Explicit, Size = 40)]
    public struct FileInfo
    {
        [FieldOffset(0)] public int Flags;
        /// <summary>The bit fields: writepage 0x1, direct_io 0x2, keep_cache 0x4, … cache_readdir 0x40.</summary>
        [FieldOffset(4)] public uint Bits;
        [FieldOffset(16)] public ulong Handle;
    }

    public const uint DirectIo = 0x2;
    public const uint KeepCache = 0x4;
    public const uint CacheReaddir = 0x40;
    public const uint NoFlush = 0x80;

    /// <summary>Slots of struct fuse_lowlevel_ops, in declaration order.</summary>
    public enum Op
    {
        Init = 0, Destroy = 1, Lookup = 2, Forget = 3, GetAttr = 4, SetAttr = 5, ReadLink = 6,
        MkNod = 7, MkDir = 8, Unlink = 9, RmDir = 10, Symlink = 11, Rename = 12, Link = 13,
        Open = 14, Read = 15, Write = 16, Flush = 17, Release = 18, Fsync = 19, OpenDir = 20, ReadDir = 21, ReleaseDir = 22,
        StatFs = 24, SetXattr = 25, Create = 30, ReadDirPlus = 41,
        Count = 44,
    }

    [LibraryImport(Library, EntryPoint = "fuse_session_new")]
    public static partial nint SessionNew(Args* args, nint* ops, nuint opsSize, nint userdata);

    [LibraryImport(Library, EntryPoint = "fuse_session_mount")]
    public static partial int SessionMount(nint session, byte* mountpoint);

    [LibraryImport(Library, EntryPoint = "fuse_session_loop")]
    public static partial int SessionLoop(nint session);

    [LibraryImport(Library, EntryPoint = "fuse_session_exit")]
    public static partial void SessionExit(nint session);

    [LibraryImport(Library, EntryPoint = "fuse_session_unmount")]
    public static partial void SessionUnmount(nint session);

    [LibraryImport(Library, EntryPoint = "fuse_session_destroy")]
    public static partial void SessionDestroy(nint session);

    /// <summary>struct fuse_ctx: who made the request (uid, gid, pid, umask).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Context
    {
        public uint Uid;
        public uint Gid;
        public int Pid;
        public uint Umask;
    }

    [LibraryImport(Library, EntryPoint = "fuse_req_ctx")]
    public static partial Context* RequestContext(nint request);

    [LibraryImport(Library, EntryPoint = "fuse_req_userdata")]
    public static partial nint RequestUserData(nint request);

    [LibraryImport(Library, EntryPoint = "fuse_reply_err")]
    public static partial int ReplyError(nint request, int error);

    [LibraryImport(Library, EntryPoint = "fuse_reply_none")]
    public static partial void ReplyNone(nint request);

    [LibraryImport(Library, EntryPoint = "fuse_reply_entry")]
    public static partial int ReplyEntry(nint request, EntryParam* entry);

    [LibraryImport(Library, EntryPoint = "fuse_reply_attr")]
    public static partial int ReplyAttr(nint request, Stat* attr, double timeout);

    [LibraryImport(Library, EntryPoint = "fuse_reply_open")]
    public static partial int ReplyOpen(nint request, FileInfo* info);

    [LibraryImport(Library, EntryPoint = "fuse_reply_create")]
    public static partial int ReplyCreate(nint request, EntryParam* entry, FileInfo* info);

    [LibraryImport(Library, EntryPoint = "fuse_reply_write")]
    public static partial int ReplyWrite(nint request, nuint count);

    [LibraryImport(Library, EntryPoint = "fuse_reply_buf")]
    public static partial int ReplyBuffer(nint request, byte* buffer, nuint size);

    [LibraryImport(Library, EntryPoint = "fuse_reply_readlink")]
    public static partial int ReplyReadLink(nint request, byte* link);

    [LibraryImport(Library, EntryPoint = "fuse_lowlevel_notify_inval_entry")]
    public static partial int NotifyInvalidateEntry(nint session, ulong parent, byte* name, nuint nameLength);

    [LibraryImport(Library, EntryPoint = "fuse_lowlevel_notify_inval_inode")]
    public static partial int NotifyInvalidateInode(nint session, ulong inode, long offset, long length);

    [LibraryImport(Library, EntryPoint = "fuse_add_direntry_plus")]
    public static partial nuint AddDirectoryEntryPlus(nint request, byte* buffer, nuint size, byte* name, EntryParam* entry, long nextOffset);

    [LibraryImport(Library, EntryPoint = "fuse_add_direntry")]
    public static partial nuint AddDirectoryEntry(nint request, byte* buffer, nuint size, byte* name, Stat* stat, long nextOffset);
}
