using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Clive.Fs;

namespace Clive.FsHost.Fuse;

/// <summary>
/// The libfuse low-level callbacks, each a thin translation to <see cref="MountedTree"/>: decode
/// the request, call the platform-neutral tree, encode the reply. An exception never crosses
/// back into C: a <see cref="FsException"/> becomes its errno, anything else EIO and a log line.
/// </summary>
internal sealed unsafe class FuseFileSystem(MountedTree tree, Action<string> log)
{
    private MountedTree Tree { get; } = tree;
    private Action<string> Log { get; } = log;

    // Until the mount follows ref moves and invalidates explicitly, the kernel may cache only briefly.
    private const double Timeout = 1.0;
    private const int O_ACCMODE = 3;

    private static readonly uint Uid = LibC.GetUid();
    private static readonly uint Gid = LibC.GetGid();

    /// <summary>The callback table libfuse calls; unused slots stay null (libfuse answers ENOSYS or its default).</summary>
    public static nint* CreateOperations()
    {
        var ops = (nint*)NativeMemory.AllocZeroed((nuint)((int)LibFuse.Op.Count * sizeof(nint)));
        ops[(int)LibFuse.Op.Lookup] = (nint)(delegate* unmanaged[Cdecl]<nint, ulong, byte*, void>)&Lookup;
        ops[(int)LibFuse.Op.Forget] = (nint)(delegate* unmanaged[Cdecl]<nint, ulong, ulong, void>)&Forget;
        ops[(int)LibFuse.Op.GetAttr] = (nint)(delegate* unmanaged[Cdecl]<nint, ulong, LibFuse.FileInfo*, void>)&GetAttr;
        ops[(int)LibFuse.Op.ReadLink] = (nint)(delegate* unmanaged[Cdecl]<nint, ulong, void>)&ReadLink;
        ops[(int)LibFuse.Op.Open] = (nint)(delegate* unmanaged[Cdecl]<nint, ulong, LibFuse.FileInfo*, void>)&Open;
        ops[(int)LibFuse.Op.Read] = (nint)(delegate* unmanaged[Cdecl]<nint, ulong, nuint, long, LibFuse.FileInfo*, void>)&Read;
        ops[(int)LibFuse.Op.Release] = (nint)(delegate* unmanaged[Cdecl]<nint, ulong, LibFuse.FileInfo*, void>)&Release;
        ops[(int)LibFuse.Op.ReadDir] = (nint)(delegate* unmanaged[Cdecl]<nint, ulong, nuint, long, LibFuse.FileInfo*, void>)&ReadDir;
        return ops;
    }

    private static FuseFileSystem From(nint request) => (FuseFileSystem)GCHandle.FromIntPtr(LibFuse.RequestUserData(request)).Target!;

    /// <summary>Runs a handler; its exceptions become error replies.</summary>
    private static void Handle(nint request, Action<FuseFileSystem> handler)
    {
        FuseFileSystem? fs = null;
        try
        {
            fs = From(request);
            handler(fs);
        }
        catch (FsException e)
        {
            LibFuse.ReplyError(request, Errno.From(e.Error));
        }
        catch (Exception e)
        {
            fs?.Log($"error: {e.GetType().Name}: {e.Message}");
            LibFuse.ReplyError(request, Errno.EIO);
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void Lookup(nint request, ulong parent, byte* name)
    {
        var text = Utf8(name);
        Handle(request, fs =>
        {
            var entry = new LibFuse.EntryParam { AttrTimeout = Timeout, EntryTimeout = Timeout };
            var attributes = fs.Tree.Lookup(parent, text);
            entry.Ino = attributes.Inode;
            Fill(&entry.Attr, attributes);
            LibFuse.ReplyEntry(request, &entry);
        });
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void Forget(nint request, ulong inode, ulong lookups)
        // Inode numbers are never reused, so there is nothing to free.
        => LibFuse.ReplyNone(request);

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void GetAttr(nint request, ulong inode, LibFuse.FileInfo* info)
        => Handle(request, fs =>
        {
            var stat = new LibFuse.Stat();
            Fill(&stat, fs.Tree.GetAttributes(inode));
            LibFuse.ReplyAttr(request, &stat, Timeout);
        });

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void ReadLink(nint request, ulong inode)
        => Handle(request, fs =>
        {
            var target = fs.Tree.ReadLink(inode);
            var terminated = new byte[target.Length + 1];
            target.CopyTo(terminated, 0);
            fixed (byte* p = terminated) LibFuse.ReplyReadLink(request, p);
        });

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void Open(nint request, ulong inode, LibFuse.FileInfo* info)
    {
        int flags = info->Flags;
        ulong handle = 0;
        Handle(request, fs =>
        {
            if ((flags & O_ACCMODE) != 0) throw new FsException(FsError.ReadOnly, "the mount is read-only");
            handle = fs.Tree.Open(inode);
        });
        if (handle == 0) return; // an error was replied
        info->Handle = handle;
        // Committed content never changes: what the kernel cached for this blob stays valid.
        info->Bits |= LibFuse.KeepCache;
        LibFuse.ReplyOpen(request, info);
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void Read(nint request, ulong inode, nuint size, long offset, LibFuse.FileInfo* info)
    {
        ulong handle = info->Handle;
        Handle(request, fs =>
        {
            var buffer = ArrayPool<byte>.Shared.Rent((int)size);
            try
            {
                int n = fs.Tree.Read(handle, offset, buffer.AsSpan(0, (int)size));
                fixed (byte* p = buffer) LibFuse.ReplyBuffer(request, p, (nuint)n);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        });
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void Release(nint request, ulong inode, LibFuse.FileInfo* info)
    {
        ulong handle = info->Handle;
        Handle(request, fs =>
        {
            fs.Tree.Release(handle);
            LibFuse.ReplyError(request, 0);
        });
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void ReadDir(nint request, ulong inode, nuint size, long offset, LibFuse.FileInfo* info)
        => Handle(request, fs =>
        {
            var children = fs.Tree.List(inode);
            // The offset of an entry is its index in this listing: ".", "..", then the children.
            var buffer = ArrayPool<byte>.Shared.Rent((int)size);
            try
            {
                fixed (byte* p = buffer)
                {
                    nuint used = 0;
                    for (long i = offset; i < children.Count + 2; i++)
                    {
                        (string name, ulong inodeOf, NodeKind kind) = i switch
                        {
                            0 => (".", inode, NodeKind.Directory),
                            1 => ("..", MountedTree.RootInode, NodeKind.Directory),
                            _ => (children[(int)i - 2].Name, children[(int)i - 2].Attributes.Inode, children[(int)i - 2].Attributes.Kind),
                        };
                        var stat = new LibFuse.Stat { Ino = inodeOf, Mode = ModeOf(kind) };
                        var nameBytes = Encoding.UTF8.GetBytes(name + "\0");
                        nuint needed;
                        fixed (byte* n = nameBytes) needed = LibFuse.AddDirectoryEntry(request, p + used, size - used, n, &stat, i + 1);
                        if (needed > size - used) break;
                        used += needed;
                    }
                    LibFuse.ReplyBuffer(request, p, used);
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        });

    private static void Fill(LibFuse.Stat* stat, NodeAttributes attributes)
    {
        stat->Ino = attributes.Inode;
        stat->Mode = ModeOf(attributes.Kind);
        stat->Nlink = attributes.Kind == NodeKind.Directory ? 2u : 1u;
        stat->Uid = Uid;
        stat->Gid = Gid;
        stat->Size = attributes.Size;
        stat->BlockSize = 4096;
        stat->Blocks = (attributes.Size + 511) / 512;
        long seconds = attributes.Modified.ToUnixTimeSeconds();
        stat->AccessSeconds = stat->ModifySeconds = stat->ChangeSeconds = seconds;
    }

    private static uint ModeOf(NodeKind kind) => kind switch
    {
        NodeKind.Directory => 0x4000 | 0x1ED,     // S_IFDIR | 0755
        NodeKind.ExecutableFile => 0x8000 | 0x1ED, // S_IFREG | 0755
        NodeKind.Symlink => 0xA000 | 0x1FF,       // S_IFLNK | 0777
        _ => 0x8000 | 0x1A4,                      // S_IFREG | 0644
    };

    private static string Utf8(byte* text) => Marshal.PtrToStringUTF8((nint)text) ?? "";
}
