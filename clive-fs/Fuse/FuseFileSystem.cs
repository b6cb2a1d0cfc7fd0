using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Clive.Fs;
using Clive.Store.Overlay;

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

    // The kernel may cache names and attributes for long: every change comes through this mount
    // (the kernel sees it) or from a ref move (invalidated explicitly by the follower).
    private const double Timeout = 3600.0;
    private const int O_ACCMODE = 3;
    private const int O_TRUNC = 0x200;
    private const uint RENAME_NOREPLACE = 1;

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
        ops[(int)LibFuse.Op.ReadDirPlus] = (nint)(delegate* unmanaged[Cdecl]<nint, ulong, nuint, long, LibFuse.FileInfo*, void>)&ReadDirPlus;
        ops[(int)LibFuse.Op.OpenDir] = (nint)(delegate* unmanaged[Cdecl]<nint, ulong, LibFuse.FileInfo*, void>)&OpenDir;
        ops[(int)LibFuse.Op.SetAttr] = (nint)(delegate* unmanaged[Cdecl]<nint, ulong, LibFuse.Stat*, int, LibFuse.FileInfo*, void>)&SetAttr;
        ops[(int)LibFuse.Op.Create] = (nint)(delegate* unmanaged[Cdecl]<nint, ulong, byte*, uint, LibFuse.FileInfo*, void>)&Create;
        ops[(int)LibFuse.Op.MkNod] = (nint)(delegate* unmanaged[Cdecl]<nint, ulong, byte*, uint, ulong, void>)&MkNod;
        ops[(int)LibFuse.Op.Write] = (nint)(delegate* unmanaged[Cdecl]<nint, ulong, byte*, nuint, long, LibFuse.FileInfo*, void>)&Write;
        ops[(int)LibFuse.Op.Flush] = (nint)(delegate* unmanaged[Cdecl]<nint, ulong, LibFuse.FileInfo*, void>)&Flush;
        ops[(int)LibFuse.Op.Fsync] = (nint)(delegate* unmanaged[Cdecl]<nint, ulong, int, LibFuse.FileInfo*, void>)&Fsync;
        ops[(int)LibFuse.Op.Unlink] = (nint)(delegate* unmanaged[Cdecl]<nint, ulong, byte*, void>)&Unlink;
        ops[(int)LibFuse.Op.MkDir] = (nint)(delegate* unmanaged[Cdecl]<nint, ulong, byte*, uint, void>)&MkDir;
        ops[(int)LibFuse.Op.RmDir] = (nint)(delegate* unmanaged[Cdecl]<nint, ulong, byte*, void>)&RmDir;
        ops[(int)LibFuse.Op.Symlink] = (nint)(delegate* unmanaged[Cdecl]<nint, byte*, ulong, byte*, void>)&Symlink;
        ops[(int)LibFuse.Op.Rename] = (nint)(delegate* unmanaged[Cdecl]<nint, ulong, byte*, ulong, byte*, uint, void>)&Rename;
        ops[(int)LibFuse.Op.Link] = (nint)(delegate* unmanaged[Cdecl]<nint, ulong, ulong, byte*, void>)&Link;
        ops[(int)LibFuse.Op.SetXattr] = (nint)(delegate* unmanaged[Cdecl]<nint, ulong, byte*, byte*, nuint, int, void>)&SetXattr;
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
            var entry = Entry(fs.Tree.Lookup(parent, text));
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
            var attributes = fs.Tree.GetAttributes(inode);
            Fill(&stat, attributes);
            LibFuse.ReplyAttr(request, &stat, TimeoutFor(attributes));
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
        bool volatileNode = false;
        Handle(request, fs =>
        {
            volatileNode = fs.Tree.GetAttributes(inode).Volatile;
            handle = fs.Tree.Open(inode, writable: (flags & O_ACCMODE) != 0, truncate: (flags & O_TRUNC) != 0);
        });
        if (handle == 0) return; // an error was replied
        info->Handle = handle;
        // The inode's content changes only through this mount (a ref move gives a changed file a
        // new inode): what the kernel cached for it stays valid. Not so for .clive/status.
        info->Bits |= volatileNode ? LibFuse.DirectIo : LibFuse.KeepCache;
        // Closing a read-only open has nothing to make durable: spare the kernel the FLUSH round trip.
        if ((flags & O_ACCMODE) == 0) info->Bits |= LibFuse.NoFlush;
        LibFuse.ReplyOpen(request, info);
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void Create(nint request, ulong parent, byte* name, uint mode, LibFuse.FileInfo* info)
    {
        var text = Utf8(name);
        var caller = CallerOf(request);
        Handle(request, fs =>
        {
            var (attributes, handle) = fs.Tree.Create(parent, text, mode, caller);
            var entry = Entry(attributes);
            info->Handle = handle;
            info->Bits |= LibFuse.KeepCache;
            LibFuse.ReplyCreate(request, &entry, info);
        });
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void MkNod(nint request, ulong parent, byte* name, uint mode, ulong device)
    {
        var text = Utf8(name);
        var caller = CallerOf(request);
        Handle(request, fs =>
        {
            // Fifos, sockets and device nodes live in the mount and never in a commit; the kernel
            // has checked that the caller may make a device node (CAP_MKNOD).
            var entry = Entry(fs.Tree.MakeNode(parent, text, mode, device, caller));
            LibFuse.ReplyEntry(request, &entry);
        });
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void Write(nint request, ulong inode, byte* buffer, nuint size, long offset, LibFuse.FileInfo* info)
    {
        ulong handle = info->Handle;
        var data = new ReadOnlySpan<byte>(buffer, (int)size).ToArray();
        Handle(request, fs => LibFuse.ReplyWrite(request, (nuint)fs.Tree.Write(handle, offset, data)));
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void Flush(nint request, ulong inode, LibFuse.FileInfo* info)
        // Every close() flushes, and waits for the reply: that is where an edit becomes durable.
        => MakeDurable(request, info->Handle);

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void Fsync(nint request, ulong inode, int dataOnly, LibFuse.FileInfo* info)
        => MakeDurable(request, info->Handle);

    private static void MakeDurable(nint request, ulong handle)
        => Handle(request, fs =>
        {
            fs.Tree.Flush(handle);
            LibFuse.ReplyError(request, 0);
        });

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void SetAttr(nint request, ulong inode, LibFuse.Stat* attr, int toSet, LibFuse.FileInfo* info)
    {
        var set = (LibFuse.SetAttrFlags)toSet;
        var given = *attr;
        Handle(request, fs =>
        {
            // The kernel has checked who may change what (default_permissions): chown as root,
            // chgrp to one's own groups, setgid cleared for others; the tree keeps what it is given.
            var change = new AttributeChange(
                Size: set.HasFlag(LibFuse.SetAttrFlags.Size) ? given.Size : null,
                Mode: set.HasFlag(LibFuse.SetAttrFlags.Mode) ? given.Mode : null,
                Uid: set.HasFlag(LibFuse.SetAttrFlags.Uid) ? given.Uid : null,
                Gid: set.HasFlag(LibFuse.SetAttrFlags.Gid) ? given.Gid : null,
                Accessed: set.HasFlag(LibFuse.SetAttrFlags.AtimeNow) ? FileTime.Now
                    : set.HasFlag(LibFuse.SetAttrFlags.Atime) ? Time(given.AccessSeconds, given.AccessNanoseconds) : null,
                Modified: set.HasFlag(LibFuse.SetAttrFlags.MtimeNow) ? FileTime.Now
                    : set.HasFlag(LibFuse.SetAttrFlags.Mtime) ? Time(given.ModifySeconds, given.ModifyNanoseconds) : null);
            var stat = new LibFuse.Stat();
            Fill(&stat, fs.Tree.SetAttributes(inode, change));
            LibFuse.ReplyAttr(request, &stat, Timeout);
        });
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void Unlink(nint request, ulong parent, byte* name)
    {
        var text = Utf8(name);
        Handle(request, fs =>
        {
            fs.Tree.Unlink(parent, text);
            LibFuse.ReplyError(request, 0);
        });
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void MkDir(nint request, ulong parent, byte* name, uint mode)
    {
        var text = Utf8(name);
        var caller = CallerOf(request);
        Handle(request, fs =>
        {
            var entry = Entry(fs.Tree.MakeDirectory(parent, text, mode, caller));
            LibFuse.ReplyEntry(request, &entry);
        });
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void RmDir(nint request, ulong parent, byte* name)
    {
        var text = Utf8(name);
        Handle(request, fs =>
        {
            fs.Tree.RemoveDirectory(parent, text);
            LibFuse.ReplyError(request, 0);
        });
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void Symlink(nint request, byte* link, ulong parent, byte* name)
    {
        var target = System.Text.Encoding.UTF8.GetBytes(Utf8(link));
        var text = Utf8(name);
        var caller = CallerOf(request);
        Handle(request, fs =>
        {
            var entry = Entry(fs.Tree.Symlink(parent, text, target, caller));
            LibFuse.ReplyEntry(request, &entry);
        });
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void Rename(nint request, ulong parent, byte* name, ulong newParent, byte* newName, uint flags)
    {
        var (from, to) = (Utf8(name), Utf8(newName));
        Handle(request, fs =>
        {
            if ((flags & ~RENAME_NOREPLACE) != 0) throw new FsException(FsError.InvalidArgument, "only RENAME_NOREPLACE is supported");
            fs.Tree.Rename(parent, from, newParent, to, noReplace: (flags & RENAME_NOREPLACE) != 0);
            LibFuse.ReplyError(request, 0);
        });
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void Link(nint request, ulong inode, ulong newParent, byte* newName)
    {
        var text = Utf8(newName);
        Handle(request, fs =>
        {
            // One inode, two names in the mount; a commit records the file under each name.
            var entry = Entry(fs.Tree.Link(inode, newParent, text));
            LibFuse.ReplyEntry(request, &entry);
        });
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void SetXattr(nint request, ulong inode, byte* name, byte* value, nuint size, int flags)
        // Git keeps no extended attributes.
        => LibFuse.ReplyError(request, Errno.EOPNOTSUPP);

    private static FileTime Time(long seconds, long nanoseconds)
    {
        if (nanoseconds is < 0 or > 999_999_999) throw new FsException(FsError.InvalidArgument, "nanoseconds out of range");
        return new FileTime(seconds, (uint)nanoseconds);
    }

    /// <summary>Who made the request: what they make is theirs.</summary>
    private static Caller CallerOf(nint request)
    {
        var context = LibFuse.RequestContext(request);
        return new Caller(context->Uid, context->Gid);
    }

    private static double TimeoutFor(NodeAttributes attributes) => attributes.Volatile ? 0 : Timeout;

    private static LibFuse.EntryParam Entry(NodeAttributes attributes)
    {
        var entry = new LibFuse.EntryParam { Ino = attributes.Inode, AttrTimeout = TimeoutFor(attributes), EntryTimeout = TimeoutFor(attributes) };
        Fill(&entry.Attr, attributes);
        return entry;
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
    private static void OpenDir(nint request, ulong inode, LibFuse.FileInfo* info)
        => Handle(request, fs =>
        {
            // The kernel may keep listings: a ref move invalidates the directory's inode, and
            // local changes go through the kernel, which drops what it cached itself. .clive/
            // listings change behind its back, so they are never kept.
            if (!fs.Tree.GetAttributes(inode).Volatile) info->Bits |= LibFuse.CacheReaddir | LibFuse.KeepCache;
            LibFuse.ReplyOpen(request, info);
        });

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void ReadDir(nint request, ulong inode, nuint size, long offset, LibFuse.FileInfo* info)
        => List(request, inode, size, offset, plus: false);

    /// <summary>A listing with every entry's attributes: a scan of the tree needs no lookup per file.</summary>
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void ReadDirPlus(nint request, ulong inode, nuint size, long offset, LibFuse.FileInfo* info)
        => List(request, inode, size, offset, plus: true);

    private static void List(nint request, ulong inode, nuint size, long offset, bool plus)
        => Handle(request, fs =>
        {
            var children = fs.Tree.List(inode);
            var self = fs.Tree.GetAttributes(inode);
            // The offset of an entry is its index in this listing: ".", "..", then the children.
            var buffer = ArrayPool<byte>.Shared.Rent((int)size);
            try
            {
                fixed (byte* p = buffer)
                {
                    nuint used = 0;
                    for (long i = offset; i < children.Count + 2; i++)
                    {
                        var (name, attributes) = i switch
                        {
                            0 => (".", self),
                            1 => ("..", self with { Inode = MountedTree.RootInode }),
                            _ => children[(int)i - 2],
                        };
                        var nameBytes = Encoding.UTF8.GetBytes(name + "\0");
                        nuint needed;
                        fixed (byte* n = nameBytes)
                        {
                            if (plus && i >= 2)
                            {
                                var entry = Entry(attributes);
                                needed = LibFuse.AddDirectoryEntryPlus(request, p + used, size - used, n, &entry, i + 1);
                            }
                            else if (plus)
                            {
                                // "." and "..": no lookup is counted for them, so no attributes are given.
                                var entry = new LibFuse.EntryParam { Attr = new LibFuse.Stat { Ino = attributes.Inode, Mode = attributes.Mode } };
                                needed = LibFuse.AddDirectoryEntryPlus(request, p + used, size - used, n, &entry, i + 1);
                            }
                            else
                            {
                                var stat = new LibFuse.Stat { Ino = attributes.Inode, Mode = attributes.Mode };
                                needed = LibFuse.AddDirectoryEntry(request, p + used, size - used, n, &stat, i + 1);
                            }
                        }
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
        stat->Mode = attributes.Mode;
        stat->Nlink = attributes.Links;
        stat->Uid = attributes.Uid;
        stat->Gid = attributes.Gid;
        stat->Rdev = attributes.Device;
        stat->Size = attributes.Size;
        stat->BlockSize = 4096;
        stat->Blocks = (attributes.Size + 511) / 512;
        (stat->AccessSeconds, stat->AccessNanoseconds) = (attributes.Accessed.Seconds, attributes.Accessed.Nanoseconds);
        (stat->ModifySeconds, stat->ModifyNanoseconds) = (attributes.Modified.Seconds, attributes.Modified.Nanoseconds);
        (stat->ChangeSeconds, stat->ChangeNanoseconds) = (attributes.Changed.Seconds, attributes.Changed.Nanoseconds);
    }

    private static string Utf8(byte* text) => Marshal.PtrToStringUTF8((nint)text) ?? "";
}
