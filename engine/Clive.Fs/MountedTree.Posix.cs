using Clive.Git;
using Clive.Store.Overlay;

namespace Clive.Fs;

/// <summary>Who asks: the caller's effective user and group, which own what it makes.</summary>
public readonly record struct Caller(uint Uid, uint Gid);

/// <summary>What setattr changes: each field null when left as it is.</summary>
public sealed record AttributeChange(long? Size = null, uint? Mode = null, uint? Uid = null, uint? Gid = null,
    FileTime? Accessed = null, FileTime? Modified = null);

/// <summary>
/// The mount as a POSIX directory: every entry's mode bits, owner, group and times, fifos,
/// sockets, device nodes and hard links, kept durably as entry attributes beside the overlay, as a
/// checkout's disk keeps them. What a commit records stays git's: content, the executable bit,
/// symlinks. The kernel checks who may do what (default_permissions) against the modes shown here.
/// </summary>
public sealed partial class MountedTree
{
    private readonly KeptAttributes _kept = new();
    /// <summary>The node of each hard-link group the mount has shown, so every name of the group is the same inode.</summary>
    private readonly Dictionary<long, Node> _links = [];
    private long _lastLink;

    /// <summary>Who owns what git records and nobody changed: the user who mounted.</summary>
    public Caller Owner { get; }

    /// <summary>chmod, chown, truncate, utimens. The kernel has checked that the caller may (default_permissions).</summary>
    public NodeAttributes SetAttributes(ulong inode, AttributeChange change)
    {
        lock (_gate)
        {
            var node = Get(inode);
            bool onlyTimes = change is { Size: null, Mode: null, Uid: null, Gid: null };
            if (node.ReadOnly && !onlyTimes) throw new FsException(FsError.ReadOnly, $"{node.Path} is a read-only view");
            bool contentChanged = false;
            if (change.Size is { } length)
            {
                if (node.IsDirectory) throw new FsException(FsError.IsADirectory, node.Path);
                if (node.IsSpecial) throw new FsException(FsError.InvalidArgument, node.Path);
                Truncate(node, length);
                contentChanged = true;
            }
            var posix = Own(node);
            if (change.Mode is { } mode)
            {
                posix.Permissions = mode & PosixMode.PermissionMask;
                // The one bit git records: changing it is an edit to commit.
                if (node.Kind is NodeKind.File or NodeKind.ExecutableFile)
                {
                    var kind = (mode & PosixMode.OwnerExecute) != 0 ? NodeKind.ExecutableFile : NodeKind.File;
                    if (kind != node.Kind)
                    {
                        node.Kind = kind;
                        contentChanged = true;
                    }
                }
            }
            if (change.Uid is { } uid) posix.Uid = uid;
            if (change.Gid is { } gid) posix.Gid = gid;
            if (change.Accessed is { } accessed) posix.Accessed = accessed;
            if (change.Modified is { } modified)
            {
                posix.Modified = modified;
                node.Modified = ToDateTime(modified);
            }
            posix.Changed = FileTime.Now;
            if (IsEntityNode(node))
            {
                // An entity file is saved when closed; truncate(2) without an open file is a save of its own.
                if (contentChanged && !_open.IsOpenForWriting(node)) SaveOrSetAside(node);
            }
            else if (contentChanged) Save(node);
            else
            {
                Keep(node);
                PersistAttributes();
            }
            return Attributes(node);
        }
    }

    /// <summary>mknod(2): a fifo, socket or device node (kept in the mount, never committed), or a regular file.</summary>
    public NodeAttributes MakeNode(ulong parent, string name, uint mode, ulong device, Caller caller)
    {
        var kind = PosixMode.KindOf(mode) ?? throw new FsException(FsError.InvalidArgument, $"mknod: unsupported file type {mode & PosixMode.TypeMask:x}");
        if (kind is NodeKind.File or NodeKind.ExecutableFile)
        {
            var (attributes, handle) = Create(parent, name, mode, caller);
            Release(handle);
            return GetAttributes(attributes.Inode);
        }
        lock (_gate)
        {
            var dir = WritableDirectory(parent);
            if (dir.Synthetic != SyntheticKind.None) throw new FsException(FsError.NotPermitted, "only entity files live here");
            CheckName(dir, name);
            if (dir.Children!.ContainsKey(name)) throw new FsException(FsError.Exists, name);
            var node = Place(dir, name, kind, null, mode, caller);
            node.Posix!.Device = kind is NodeKind.CharDevice or NodeKind.BlockDevice ? device : 0;
            Keep(node);
            PersistAttributes();
            return Attributes(node);
        }
    }

    /// <summary>link(2): another name for the same inode. Each name commits as the file; the link is the mount's.</summary>
    public NodeAttributes Link(ulong inode, ulong newParent, string newName)
    {
        lock (_gate)
        {
            var node = Get(inode);
            if (node.IsDirectory) throw new FsException(FsError.NotPermitted, "hard links to directories are not allowed");
            if (node.ReadOnly) throw new FsException(FsError.ReadOnly, $"{node.Path} is a read-only view");
            // An entity file has one name, as it cannot be renamed (EPERM, not EROFS: a mover such as
            // .NET's File.Move tries link then rename, and falls back on EPERM only).
            if (node.Synthetic != SyntheticKind.None) throw new FsException(FsError.NotPermitted, $"{node.Path} is an entity's file: it has one name");
            if (!node.Exists) throw new FsException(FsError.NotFound, node.Path);
            var dir = WritableDirectory(newParent);
            if (dir.Synthetic != SyntheticKind.None) throw new FsException(FsError.NotPermitted, "only entity files live here");
            CheckName(dir, newName);
            if (dir.Children!.ContainsKey(newName)) throw new FsException(FsError.Exists, newName);
            var posix = Own(node);
            if (!_links.ContainsValue(node)) _links[NewLinkGroup()] = node;
            var path = Join(dir.Path, newName);
            _inodes.Name(path, node);
            node.OtherNames.Add(path);
            dir.Children[newName] = node.Inode;
            posix.Changed = FileTime.Now;
            DirectoryChanged(dir);
            if (node.IsSpecial)
            {
                Keep(node);
                PersistAttributes();
            }
            else Save(node);
            return Attributes(node);
        }
    }

    private long NewLinkGroup() => _lastLink = Math.Max(_lastLink, _kept.MaxLink) + 1;

    private long LinkGroupOf(Node node) => _links.FirstOrDefault(l => l.Value == node).Key;

    /// <summary>Every name of a node: its path and its hard links.</summary>
    private static IEnumerable<string> Names(Node node) => node.OtherNames.Count == 0 ? [node.Path] : [node.Path, .. node.OtherNames];

    /// <summary>
    /// Takes one name away from a node that has others (unlink of a hard link, or a ref move that
    /// changed what one name holds): the node lives on under its other names.
    /// </summary>
    private void DetachName(Node node, string path)
    {
        if (path == node.Path)
        {
            var next = node.OtherNames[0];
            node.OtherNames.RemoveAt(0);
            node.Path = next;
            node.Name = OverlayCommit.Name(next);
            node.Parent = _inodes.TryGetByPath(OverlayCommit.Parent(next), out var parent) ? parent.Inode : RootInode;
        }
        else node.OtherNames.Remove(path);
        _inodes.Unname(path, node);
        if (node.OtherNames.Count == 0) _links.Remove(LinkGroupOf(node));
    }

    /// <summary>The node's attributes, made its own from what it shows now, so they can change.</summary>
    private PosixAttributes Own(Node node)
    {
        if (node.Posix is { } posix) return posix;
        var time = FileTime.From(node.Modified);
        return node.Posix = new PosixAttributes
        {
            Permissions = ShownPermissions(node, PosixMode.DefaultPermissions(node.Kind)),
            Uid = Owner.Uid, Gid = Owner.Gid, Accessed = time, Modified = time, Changed = time,
        };
    }

    private static uint ShownPermissions(Node node, uint permissions)
        => node.Kind is NodeKind.File or NodeKind.ExecutableFile ? PosixMode.WithExecutable(permissions, node.Kind == NodeKind.ExecutableFile) : permissions;

    /// <summary>Content changed: mtime and ctime move, as write(2) and truncate(2) move them.</summary>
    private void Wrote(Node node)
    {
        node.Modified = DateTimeOffset.UtcNow;
        var posix = Own(node);
        posix.Modified = posix.Changed = FileTime.From(node.Modified);
    }

    /// <summary>A name was added or removed in a directory: its mtime and ctime move, and are kept.</summary>
    private void DirectoryChanged(Node dir)
    {
        Wrote(dir);
        Keep(dir);
    }

    /// <summary>Stages the node's attributes under each of its names (persisted by the next overlay transaction).</summary>
    private void Keep(Node node)
    {
        if (node.ReadOnly || node.Synthetic != SyntheticKind.None || !node.Exists) return;
        var posix = Own(node);
        ObjectId? content = node.IsDirectory || node.IsSpecial ? null
            : node.Content is { } bytes ? ObjectId.HashObject(ObjectType.Blob, bytes.ToArray())
            : node.Id.IsZero ? null : node.Id;
        long link = node.OtherNames.Count > 0 ? LinkGroupOf(node) : 0;
        uint mode = PosixMode.TypeOf(node.Kind) | ShownPermissions(node, posix.Permissions);
        foreach (var path in Names(node))
            _kept.Put(new EntryAttributes(path, mode, posix.Uid, posix.Gid, posix.Device, posix.Accessed, posix.Modified, posix.Changed, content, link));
    }

    /// <summary>Writes the staged attribute changes durably, in a transaction of their own.</summary>
    private void PersistAttributes()
    {
        if (_kept.TakeStaged() is { } changes) _overlay.Persist([], attributes: changes);
    }

    /// <summary>
    /// Gives a node just shown for a path the attributes kept for it. A file whose content is no
    /// longer what they were kept for (a push changed it) keeps mode and owner and takes the
    /// commit's time, as a checkout that rewrote it would show.
    /// </summary>
    private void Restore(Node node)
    {
        if (node.ReadOnly || node.Posix is not null || !_kept.TryGet(node.Path, out var row)) return;
        bool sameContent = row.Content is not { } id || node.IsDirectory || node.Content is not null || id == node.Id;
        var time = FileTime.From(node.Modified);
        node.Posix = new PosixAttributes
        {
            Permissions = row.Mode & PosixMode.PermissionMask, Uid = row.Uid, Gid = row.Gid, Device = row.Device,
            Accessed = sameContent ? row.Accessed : time, Modified = sameContent ? row.Modified : time, Changed = sameContent ? row.Changed : time,
        };
        if (sameContent) node.Modified = ToDateTime(row.Modified);
        if (row.Link != 0 && !node.IsDirectory) _links.TryAdd(row.Link, node);
    }

    /// <summary>
    /// The node a path of a hard-link group joins (its other names shown already, holding the same
    /// content), or null: the path gets a node of its own.
    /// </summary>
    private Node? LinkedNode(string path, NodeKind kind, ObjectId id)
    {
        if (!_kept.TryGet(path, out var row) || row.Link == 0 || !_links.TryGetValue(row.Link, out var node)) return null;
        if (node.Path == path || node.OtherNames.Contains(path)) return node;
        if (!node.Exists || node.Kind != kind || (node.Content is null && node.Id != id)) return null;
        _inodes.Name(path, node);
        node.OtherNames.Add(path);
        return node;
    }

    /// <summary>The fifos, sockets and device nodes of a directory, which only their attributes record.</summary>
    private void FillSpecial(Node dir, Dictionary<string, ulong> children)
    {
        foreach (var row in _kept.SpecialIn(dir.Path))
        {
            var name = OverlayCommit.Name(row.Path);
            if (children.ContainsKey(name) || IsControlDirectory(dir, name)) continue;
            var node = LinkedNode(row.Path, PosixMode.KindOf(row.Mode)!.Value, ObjectId.Zero) ?? _inodes.ForPath(dir.Inode, row.Path, name);
            if (!node.IsSpecial || !node.Exists)
            {
                node.Kind = PosixMode.KindOf(row.Mode)!.Value;
                node.Exists = true;
                node.Overlaid = true;
                node.Id = ObjectId.Zero;
                node.Content = null;
                node.Children = null;
                node.Posix = null;
                if (node.Modified == default) node.Modified = Modified;
                Restore(node);
            }
            children[name] = node.Inode;
        }
    }

    private NodeAttributes Attributes(Node node)
    {
        long size = node.IsDirectory || node.IsSpecial ? 0
            : node.Content is { } content ? content.Length
            : node.Size >= 0 ? node.Size
            : node.Size = _store.Objects.SizeOf(node.Id);
        var time = FileTime.From(node.Modified);
        var posix = node.Posix;
        uint permissions = ShownPermissions(node, posix?.Permissions ?? PosixMode.DefaultPermissions(node.Kind));
        // A directory's link count: its name, its ".", and each subdirectory's "..", once listed.
        uint links = node.IsDirectory
            ? 2u + (uint)(node.Children?.Values.Count(c => _inodes.Get(c).IsDirectory) ?? 0)
            : node.Exists ? 1u + (uint)node.OtherNames.Count : 0u;
        return new NodeAttributes(node.Inode, node.Kind, size, PosixMode.TypeOf(node.Kind) | permissions,
            posix?.Uid ?? Owner.Uid, posix?.Gid ?? Owner.Gid, posix?.Device ?? 0, links,
            posix?.Accessed ?? time, posix?.Modified ?? time, posix?.Changed ?? time,
            node.Synthetic != SyntheticKind.None || node.Path.StartsWith(CliveDirectory + "/", StringComparison.Ordinal));
    }

    /// <summary>The attributes a new entry starts with: the caller's, with the group of a setgid directory (and its setgid bit, for a directory).</summary>
    private static PosixAttributes NewAttributes(Node dir, NodeKind kind, uint mode, Caller caller)
    {
        var now = FileTime.Now;
        var parent = dir.Posix;
        bool inherit = parent is not null && (parent.Permissions & PosixMode.SetGid) != 0;
        uint permissions = mode & PosixMode.PermissionMask;
        if (inherit && kind == NodeKind.Directory) permissions |= PosixMode.SetGid;
        return new PosixAttributes
        {
            Permissions = permissions, Uid = caller.Uid, Gid = inherit ? parent!.Gid : caller.Gid,
            Accessed = now, Modified = now, Changed = now,
        };
    }

    private static DateTimeOffset ToDateTime(FileTime time)
    {
        // The node's own clock (for what is not kept) has DateTimeOffset's range; a time beyond it is kept, and shown, as set.
        if (time.Seconds < -62135596800 || time.Seconds > 253402300799) return DateTimeOffset.UnixEpoch;
        return DateTimeOffset.FromUnixTimeSeconds(time.Seconds).AddTicks(time.Nanoseconds / 100);
    }
}
