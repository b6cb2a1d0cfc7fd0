using Clive.Git;
using Clive.Store.Overlay;

namespace Clive.Fs;

/// <summary>
/// Changes made through the mount. Bytes live in memory while a file is open and become durable
/// overlay rows at flush, fsync and close (one transaction per save, so a rename is never half
/// done); a file the user unlinked or renamed over is gone as on disk, and one a ref move
/// replaced while it was open goes to a conflict branch.
/// </summary>
public sealed partial class MountedTree
{
    /// <summary>A new file owned by the mount's owner, 0644 or 0755.</summary>
    public (NodeAttributes Attributes, ulong Handle) Create(ulong parent, string name, bool executable)
        => Create(parent, name, executable ? 0x1EDu : 0x1A4u, Owner);

    /// <summary>creat(2): a new file with the caller's mode (umask applied) and owner, open for writing.</summary>
    public (NodeAttributes Attributes, ulong Handle) Create(ulong parent, string name, uint mode, Caller caller)
    {
        lock (_gate)
        {
            if (Directory(parent) is { Synthetic: SyntheticKind.Entities } entities) return CreateEntityFile(entities, name);
            var dir = WritableDirectory(parent);
            CheckName(dir, name);
            if (dir.Children!.ContainsKey(name)) throw new FsException(FsError.Exists, name);
            var node = Place(dir, name, (mode & PosixMode.OwnerExecute) != 0 ? NodeKind.ExecutableFile : NodeKind.File, new FileBuffer([]), mode, caller);
            // Durable at close (flush), like every write: one fsync per file, not two. Until then
            // an in-memory row (version 0, never committed) keeps it in view through ref moves.
            node.Dirty = true;
            _overlay.Remember(Entry(node));
            ulong handle = _open.Add(node, true);
            return (Attributes(node), handle);
        }
    }

    public int Write(ulong handle, long offset, ReadOnlySpan<byte> data)
    {
        lock (_gate)
        {
            var file = _open.Get(handle);
            if (!file.Writable) throw new FsException(FsError.BadHandle, "not open for writing");
            Writable(file.Node).Write(offset, data);
            file.Node.Dirty = true;
            Wrote(file.Node);
            return data.Length;
        }
    }

    /// <summary>flush (every close), fsync: the file's bytes become durable overlay rows.</summary>
    public void Flush(ulong handle)
    {
        lock (_gate)
        {
            var file = _open.Get(handle);
            if (file.Node.Dirty) SaveOrSetAside(file.Node);
        }
    }

    /// <summary>
    /// Saves a written node, if its path still shows it. A node the user unlinked or renamed
    /// over is gone, as on disk. A node a ref move replaced while open was the user's, though:
    /// its bytes go to a conflict branch rather than over the new version, or nowhere.
    /// </summary>
    private void SaveOrSetAside(Node node)
    {
        if (node.Synthetic == SyntheticKind.EntityFile)
        {
            if (node.Exists) SaveEntity(node);
            else node.Dirty = false; // renamed over, or deleted before it was ever saved
            return;
        }
        if (node.Synthetic == SyntheticKind.EntityScratch)
        {
            node.Dirty = false; // an editor's temporary or backup: never a version, never committed
            return;
        }
        if (_inodes.IsCurrent(node))
        {
            Save(node);
            return;
        }
        node.Dirty = false;
        if (node.ReplacedByRefMove) SetAside([Entry(node)], CommitId, $"{node.Path} was open for writing when {RefName} changed it");
    }

        /// <summary>Every written, unsaved file, saved now (the mount is going away).</summary>
    public void SaveAll()
    {
        lock (_gate)
        {
            foreach (var node in _inodes.Dirty()) SaveOrSetAside(node);
        }
    }

    public void Release(ulong handle)
    {
        lock (_gate)
        {
            if (!_open.Remove(handle, out var file)) return;
            file.Reader?.Dispose();
            if (file.Node.Dirty) SaveOrSetAside(file.Node);
        }
    }

    public void Unlink(ulong parent, string name)
    {
        lock (_gate)
        {
            if (Directory(parent) is { Synthetic: SyntheticKind.Entities } entities)
            {
                UnlinkEntityFile(entities, name);
                return;
            }
            var dir = WritableDirectory(parent);
            var node = Child(dir, name);
            if (node.IsDirectory) throw new FsException(FsError.IsADirectory, node.Path);
            Remove(dir, node, name);
        }
    }

    public NodeAttributes MakeDirectory(ulong parent, string name) => MakeDirectory(parent, name, 0x1ED, Owner);

    public NodeAttributes MakeDirectory(ulong parent, string name, uint mode, Caller caller)
    {
        lock (_gate)
        {
            var dir = WritableDirectory(parent);
            CheckName(dir, name);
            if (dir.Children!.ContainsKey(name)) throw new FsException(FsError.Exists, name);
            var node = Place(dir, name, NodeKind.Directory, null, mode, caller);
            node.Opaque = true;
            node.Children = new(StringComparer.Ordinal);
            Keep(node);
            Record(new OverlayEntry(node.Path, OverlayKind.Directory, null, null, _overlay.NextVersion()));
            return Attributes(node);
        }
    }

    public void RemoveDirectory(ulong parent, string name)
    {
        lock (_gate)
        {
            var dir = WritableDirectory(parent);
            var node = Child(dir, name);
            if (!node.IsDirectory) throw new FsException(FsError.NotADirectory, node.Path);
            if (Directory(node.Inode).Children!.Count > 0) throw new FsException(FsError.NotEmpty, node.Path);
            Remove(dir, node, name);
        }
    }

    public NodeAttributes Symlink(ulong parent, string name, byte[] target) => Symlink(parent, name, target, Owner);

    public NodeAttributes Symlink(ulong parent, string name, byte[] target, Caller caller)
    {
        lock (_gate)
        {
            var dir = WritableDirectory(parent);
            CheckName(dir, name);
            if (dir.Children!.ContainsKey(name)) throw new FsException(FsError.Exists, name);
            var node = Place(dir, name, NodeKind.Symlink, new FileBuffer(target), 0x1FF, caller);
            Save(node);
            return Attributes(node);
        }
    }

    /// <summary>rename(2), including over an existing file: the editors' atomic save.</summary>
    public void Rename(ulong parent, string name, ulong newParent, string newName, bool noReplace)
    {
        lock (_gate)
        {
            if (Directory(parent).Synthetic == SyntheticKind.Entities || Directory(newParent).Synthetic == SyntheticKind.Entities)
            {
                RenameEntityFile(Directory(parent), name, Directory(newParent), newName, noReplace);
                return;
            }
            var from = WritableDirectory(parent);
            var to = WritableDirectory(newParent);
            CheckName(to, newName);
            var node = Child(from, name);
            if (to.Children!.TryGetValue(newName, out var existingInode))
            {
                var existing = Get(existingInode);
                if (existing == node) return;
                if (noReplace) throw new FsException(FsError.Exists, newName);
                if (existing.IsDirectory && !node.IsDirectory) throw new FsException(FsError.IsADirectory, existing.Path);
                if (!existing.IsDirectory && node.IsDirectory) throw new FsException(FsError.NotADirectory, existing.Path);
                if (existing.IsDirectory && Directory(existing.Inode).Children!.Count > 0) throw new FsException(FsError.NotEmpty, existing.Path);
                Remove(to, existing, newName);
            }
            for (var up = to; up.Inode != RootInode; up = Get(up.Parent))
                if (up == node) throw new FsException(FsError.InvalidArgument, "cannot move a directory into itself");

            // What was at the old path goes; the node, with its inode, moves to the new one: the
            // old path's rows and the new path's rows in one transaction, never half a rename.
            var content = Describe(node);
            var oldPath = Join(from.Path, name);
            var newPath = Join(to.Path, newName);
            from.Children!.Remove(name);
            to.Children[newName] = node.Inode;
            _kept.Move(oldPath, newPath);
            Own(node).Changed = FileTime.Now;
            DirectoryChanged(from);
            if (to != from) DirectoryChanged(to);
            if (node.IsSpecial || node.OtherNames.Count > 0)
            {
                // One name of a hard link, or an entry git never sees: the name moves, the node stays.
                if (node.Path == oldPath) (node.Path, node.Parent, node.Name) = (newPath, to.Inode, newName);
                else node.OtherNames[node.OtherNames.IndexOf(oldPath)] = newPath;
                _inodes.Unname(oldPath, node);
                _inodes.Name(newPath, node);
                if (node.IsSpecial)
                {
                    Keep(node);
                    PersistAttributes();
                    return;
                }
                _overlay.Remember(new OverlayEntry(oldPath, OverlayKind.Deleted, null, null, _overlay.NextVersion(), CommitId));
                Save(node, extra: [_overlay[oldPath]]);
                return;
            }
            var moot = _overlay.ForgetBelow(oldPath);
            _overlay.Remember(new OverlayEntry(oldPath, OverlayKind.Deleted, null, null, _overlay.NextVersion(), CommitId));
            _inodes.Move(node, to.Inode, newPath, newName);
            Save(node, content, extra: [_overlay[oldPath]], removed: moot);
        }
    }

    private static void CheckName(Node dir, string name)
    {
        if (name.Length == 0 || name is "." or ".." || name.Contains('/')) throw new FsException(FsError.InvalidArgument, name);
        // The control directory is always there at the root, whatever the tree holds.
        if (IsControlDirectory(dir, name)) throw new FsException(FsError.Exists, name);
        // Git cannot keep these names, and a tree holding them would be refused by fsck.
        if (name.Equals(".git", StringComparison.OrdinalIgnoreCase)) throw new FsException(FsError.NotPermitted, "git cannot store a file named .git");
    }

    private FileBuffer Writable(Node node)
        => node.Content ??= new FileBuffer(node.Id.IsZero ? [] : _store.Objects.Read(node.Id, ObjectType.Blob));

    private void Truncate(Node node, long length)
    {
        Writable(node).Truncate(length);
        node.Dirty = true;
        Wrote(node);
    }

    private Node Place(Node dir, string name, NodeKind kind, FileBuffer? content, uint mode, Caller caller)
    {
        var node = _inodes.Add(dir.Inode, Join(dir.Path, name), name);
        node.Kind = kind;
        node.Content = content;
        node.Overlaid = true;
        node.Modified = DateTimeOffset.UtcNow;
        node.Posix = NewAttributes(dir, kind, mode, caller);
        dir.Children![name] = node.Inode;
        DirectoryChanged(dir);
        return node;
    }

    /// <summary>Removes one name from a directory: the node goes with it unless it has other names (a hard link).</summary>
    private void Remove(Node dir, Node node, string name)
    {
        var path = Join(dir.Path, name);
        dir.Children!.Remove(name);
        DirectoryChanged(dir);
        _kept.Remove(path);
        if (node.OtherNames.Count > 0)
        {
            DetachName(node, path);
            Own(node).Changed = FileTime.Now;
            Keep(node);
        }
        else node.Exists = false;
        if (node.IsSpecial)
        {
            PersistAttributes(); // git never saw it: no edit to commit
            return;
        }
        // Rows for paths below a removed directory are moot now, in memory and on disk, together.
        var moot = _overlay.ForgetBelow(path);
        Record(new OverlayEntry(path, OverlayKind.Deleted, null, null, _overlay.NextVersion()), moot);
    }

    /// <summary>
    /// What a node holds, as overlay rows for its (current) path and everything below it. A directory
    /// is one row naming the tree it shows (none for a directory made here) and the rows pending
    /// below it: moving a directory costs its edits, not a row per file, and what git keeps there that
    /// the mount does not show (a submodule) moves with its tree.
    /// </summary>
    private List<OverlayEntry> Describe(Node node)
    {
        if (!node.IsDirectory) return [Entry(node)];
        ObjectId? tree = node.Opaque || node.Id.IsZero ? null : node.Id;
        var below = node.Path + "/";
        return [new OverlayEntry(node.Path, OverlayKind.Directory, null, tree, 0),
            .. _overlay.Rows.Where(r => r.Path.StartsWith(below, StringComparison.Ordinal)).OrderBy(r => r.Path, StringComparer.Ordinal)];
    }

    private OverlayEntry Entry(Node node) => Entry(node, node.Path);

    private static OverlayEntry Entry(Node node, string path)
    {
        var kind = node.Kind switch
        {
            NodeKind.ExecutableFile => OverlayKind.Executable,
            NodeKind.Symlink => OverlayKind.Symlink,
            NodeKind.Directory => OverlayKind.Directory,
            _ => OverlayKind.File,
        };
        return node.Content is { } content
            ? new OverlayEntry(path, kind, content.ToArray(), null, 0)
            : new OverlayEntry(path, kind, null, node.Id, 0);
    }

    /// <summary>Saves a node (and, for a moved directory, its subtree) as overlay rows, durably, in one transaction.</summary>
    private void Save(Node node, List<OverlayEntry>? described = null, IEnumerable<OverlayEntry>? extra = null, IEnumerable<string>? removed = null)
    {
        // A hard-linked file is committed as each of its names.
        var rows = described is null ? Names(node).Select(path => Entry(node, path)).ToList()
            : described.Select(r => r with { Path = node.Path + r.Path[described[0].Path.Length..] }).ToList();
        foreach (var row in rows) _overlay.Remember(row with { Version = _overlay.NextVersion(), Base = CommitId });
        Keep(node);
        _overlay.Persist(rows.Select(r => _overlay[r.Path]).Concat(extra ?? []), removed, _kept.TakeStaged());
        node.Dirty = false;
        node.Overlaid = true;
        Saved?.Invoke();
    }

    private void Record(OverlayEntry entry, IEnumerable<string>? removed = null)
    {
        entry = entry with { Base = CommitId };
        _overlay.Remember(entry);
        _overlay.Persist([entry], removed, _kept.TakeStaged());
        Saved?.Invoke();
    }
}
