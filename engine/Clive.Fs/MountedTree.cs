using System.Text;
using Clive.Git;
using Clive.Store;
using Clive.Store.Cells;
using Clive.Store.Overlay;

namespace Clive.Fs;

/// <summary>
/// A ref's tree as a writable file system, independent of any kernel interface. What is shown is
/// the ref's commit with the mount's overlay on top: edits live in memory while files are open,
/// become durable overlay rows at flush, fsync and close, and become a commit on the ref after a
/// quiet period (<see cref="OverlayCommitter"/>). When the ref moves, the overlay applies on the
/// new tree. Every method is safe to call from any thread.
/// </summary>
public sealed partial class MountedTree : IDisposable
{
    public const ulong RootInode = 1;

    /// <summary>
    /// The hidden directory of other views: .clive/refs/heads/&lt;branch&gt;/, .clive/commits/&lt;id&gt;/,
    /// .clive/status. Reachable by path, never listed, so tools that walk the tree (find, cp -r,
    /// builds) do not walk every branch too.
    /// </summary>
    public const string CliveDirectory = ".clive";

    private readonly CliveStore _store;
    private readonly CommitIdentity _identity;
    private readonly ConflictNotices _conflicts;
    private readonly EntityView _entities;
    private readonly object _gate = new();
    private readonly List<Node?> _nodes = [null]; // inode numbers start at 1
    private readonly Dictionary<string, ulong> _byPath = new(StringComparer.Ordinal);
    private readonly Dictionary<ulong, OpenFile> _open = [];
    private readonly Dictionary<string, OverlayEntry> _overlay = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _overlayByParent = new(StringComparer.Ordinal);
    private ulong _nextHandle = 1;
    private long _version;
    private Invalidations? _pending;

    /// <summary>An open file. A read-only open of an unchanged file streams its blob, opened at the first read.</summary>
    private sealed class OpenFile(Node node, bool writable)
    {
        public Node Node { get; } = node;
        public bool Writable { get; } = writable;
        public Stream? Reader { get; set; }
    }

    /// <param name="identity">The author and committer of the mount's commits.</param>
    /// <param name="conflicts">Where conflicts are told to the user (the log and .clive/status).</param>
    public MountedTree(CliveStore store, string repo, string? refName, CommitIdentity identity, ConflictNotices conflicts)
    {
        _store = store;
        _identity = identity;
        _conflicts = conflicts;
        (Repo, RepoId, RefName, var commitId) = Resolve(store, repo, refName);
        _entities = new EntityView(store, Repo, identity, conflicts);
        var commit = store.Objects.ReadCommit(commitId);
        CommitId = commitId;
        Modified = DateTimeOffset.FromUnixTimeSeconds(commit.CommitTime);
        var root = NodeFor(0, "", "");
        root.Kind = NodeKind.Directory;
        root.Id = commit.Tree;
        root.Modified = Modified;
        // Edits a previous mount saved and did not commit (it may have been killed) come back; if
        // the ref moved since, they meet it as they would have live: conflicts are set aside.
        var loaded = store.Overlay.Load(Repo, RefName);
        foreach (var entry in loaded) Remember(entry);
        _version = _overlay.Values.Select(e => e.Version).DefaultIfEmpty(0).Max();
        foreach (var stale in loaded.Where(e => e.Base is { } b && b != CommitId).Select(e => e.Base!.Value).Distinct().ToList())
        {
            if (store.Objects.TryLocate(stale, out var location) && location.Type == ObjectType.Commit)
                SetAsideConflicts(stale, commit.Tree);
        }
        Rebase();
    }

    public string Repo { get; }
    internal long RepoId { get; }
    public string RefName { get; }
    public ObjectId CommitId { get; private set; }

    /// <summary>The mounted commit's time: the mtime of what the mount has not seen change.</summary>
    public DateTimeOffset Modified { get; private set; }

    /// <summary>Raised after an edit became durable; the committer counts its quiet period from here.</summary>
    public event Action? Saved;

    /// <summary>Whether there are durable edits not yet committed.</summary>
    public bool HasPendingEdits
    {
        get { lock (_gate) return _overlay.Count > 0; }
    }

    /// <summary>A file's current bytes by path, or null (for reading .gitignore).</summary>
    public byte[]? ReadFile(string path)
    {
        lock (_gate)
        {
            if (!_byPath.TryGetValue(path, out var inode) || _nodes[(int)inode] is not { Exists: true } node || node.IsDirectory) return null;
            return node.Content?.ToArray() ?? _store.Objects.Read(node.Id, ObjectType.Blob);
        }
    }

    // ---------------------------------------------------------------- reading

    public NodeAttributes Lookup(ulong parent, string name)
    {
        lock (_gate)
        {
            if (parent == RootInode && name == CliveDirectory) return Attributes(CliveRoot());
            var dir = Directory(parent);
            if (dir.Synthetic == SyntheticKind.Commits) return Attributes(CommitView(dir, name));
            if (!dir.Children!.TryGetValue(name, out var inode)) throw new FsException(FsError.NotFound, $"no '{name}'");
            if (dir.Synthetic == SyntheticKind.RefNamespace) _conflicts.Seen(RefPrefix(dir.Path) + "/" + name);
            return Attributes(Get(inode));
        }
    }

    /// <summary>
    /// What .clive/status says: the mount, its commit, the edits a commit will take, the ignored
    /// files that stay out of commits, and conflicts the user has not looked at yet.
    /// </summary>
    public string Status
    {
        get
        {
            lock (_gate)
            {
                Func<string, bool, bool> ignored = IgnoreRules.Of(this).IsIgnored;
                var baseTree = _nodes[(int)RootInode]!.Id;
                int keptOut = _overlay.Values.Count(e => KeptOutOfCommits(e, ignored, baseTree));
                var text = new StringBuilder();
                text.Append($"repo: {Repo}\nref: {RefName}\ncommit: {CommitId}\npending edits: {_overlay.Count - keptOut}\n");
                if (keptOut > 0) text.Append($"ignored, kept out of commits: {keptOut}\n");
                foreach (var conflict in _conflicts.Current()) text.Append($"conflict: {conflict}\n");
                return text.ToString();
            }
        }
    }

    private Node CliveRoot()
    {
        var node = NodeFor(RootInode, CliveDirectory, CliveDirectory);
        if (node.Synthetic == SyntheticKind.None)
        {
            node.Kind = NodeKind.Directory;
            node.Synthetic = SyntheticKind.CliveRoot;
            node.ReadOnly = true;
            node.Modified = Modified;
        }
        return node;
    }

    private Node Synthetic(Node parent, string name, SyntheticKind kind, NodeKind nodeKind = NodeKind.Directory)
    {
        var node = NodeFor(parent.Inode, Join(parent.Path, name), name);
        node.Kind = nodeKind;
        node.Synthetic = kind;
        node.ReadOnly = true;
        node.Exists = true;
        if (node.Modified == default) node.Modified = Modified;
        return node;
    }

    /// <summary>.clive/commits/&lt;id&gt;: any commit of the store, by its full id, read-only.</summary>
    private Node CommitView(Node commits, string name)
    {
        if (!ObjectId.TryParse(name, out var id) || !_store.Objects.TryLocate(id, out var location) || location.Type != ObjectType.Commit)
            throw new FsException(FsError.NotFound, name);
        var node = NodeFor(commits.Inode, Join(commits.Path, name), name);
        if (node.Modified == default)
        {
            var commit = _store.Objects.ReadCommit(id);
            node.Kind = NodeKind.Directory;
            node.Id = commit.Tree;
            node.ReadOnly = true;
            node.Modified = DateTimeOffset.FromUnixTimeSeconds(commit.CommitTime);
        }
        return node;
    }

    /// <summary>
    /// The refs a .clive/ directory lists: .clive/refs/x is refs/x; .clive/cells/ is where the engine
    /// publishes this branch's cell results (refs/clive/cells/&lt;branch&gt;/).
    /// </summary>
    private string RefPrefix(string path)
    {
        const string cells = CliveDirectory + "/cells";
        if (path.StartsWith(cells, StringComparison.Ordinal))
        {
            return CellRefs.For(RefName, path[cells.Length..].TrimStart('/')).TrimEnd('/');
        }
        return "refs/" + path[(CliveDirectory.Length + "/refs".Length)..].TrimStart('/');
    }

    /// <summary>Lists a made-up directory afresh each time: refs move, the status changes.</summary>
    private void FillSynthetic(Node dir)
    {
        var children = new Dictionary<string, ulong>(StringComparer.Ordinal);
        switch (dir.Synthetic)
        {
            case SyntheticKind.CliveRoot:
                children["refs"] = Synthetic(dir, "refs", SyntheticKind.RefNamespace).Inode;
                children["commits"] = Synthetic(dir, "commits", SyntheticKind.Commits).Inode;
                children["cells"] = Synthetic(dir, "cells", SyntheticKind.RefNamespace).Inode;
                children[EntityView.DirectoryName] = Synthetic(dir, EntityView.DirectoryName, SyntheticKind.Entities).Inode;
                var status = Synthetic(dir, "status", SyntheticKind.Status, NodeKind.File);
                status.Content = new FileBuffer(Encoding.UTF8.GetBytes(Status));
                children["status"] = status.Inode;
                break;
            case SyntheticKind.RefNamespace:
                // .clive/refs/heads/team/x/ is the branch refs/heads/team/x: one level of names at a time.
                var prefix = RefPrefix(dir.Path);
                prefix = prefix.EndsWith('/') ? prefix : prefix + "/";
                foreach (var r in _store.Refs.List(RepoId))
                {
                    if (r.Target is not { } target || !r.Name.StartsWith(prefix, StringComparison.Ordinal)) continue;
                    var rest = r.Name[prefix.Length..];
                    int slash = rest.IndexOf('/');
                    if (slash >= 0)
                    {
                        children[rest[..slash]] = Synthetic(dir, rest[..slash], SyntheticKind.RefNamespace).Inode;
                        continue;
                    }
                    var leaf = NodeFor(dir.Inode, Join(dir.Path, rest), rest);
                    var tree = _store.Objects.TryLocate(target, out var location) && location.Type == ObjectType.Commit
                        ? _store.Objects.ReadCommit(target).Tree : ObjectId.Zero;
                    if (leaf.Id != tree || leaf.Modified == default)
                    {
                        leaf.Kind = NodeKind.Directory;
                        leaf.Id = tree;
                        leaf.Children = null;
                        leaf.ReadOnly = true;
                        leaf.Exists = true;
                        leaf.Modified = Modified;
                    }
                    children[rest] = leaf.Inode;
                }
                break;
            case SyntheticKind.Entities:
                FillEntities(dir, children);
                break;
        }
        dir.Children = children;
    }

    public NodeAttributes GetAttributes(ulong inode)
    {
        lock (_gate) return Attributes(Get(inode));
    }

    public IReadOnlyList<(string Name, NodeAttributes Attributes)> List(ulong inode)
    {
        lock (_gate)
        {
            var dir = Directory(inode);
            return dir.Children!.OrderBy(c => c.Key, StringComparer.Ordinal)
                .Select(c => (c.Key, Attributes(Get(c.Value)))).ToList();
        }
    }

    public byte[] ReadLink(ulong inode)
    {
        lock (_gate)
        {
            var node = Get(inode);
            if (node.Kind != NodeKind.Symlink) throw new FsException(FsError.NotASymlink, node.Path);
            return node.Content?.ToArray() ?? _store.Objects.Read(node.Id, ObjectType.Blob);
        }
    }

    /// <summary>Opens a file; a read-only open of an unchanged file holds the blob, so it keeps reading what it opened.</summary>
    public ulong Open(ulong inode, bool writable, bool truncate = false)
    {
        lock (_gate)
        {
            var node = Get(inode);
            if (node.IsDirectory) throw new FsException(FsError.IsADirectory, node.Path);
            if (writable && node.ReadOnly) throw new FsException(FsError.ReadOnly, $"{node.Path} is a read-only view");
            if (writable) Writable(node);
            if (truncate) Truncate(node, 0);
            ulong handle = _nextHandle++;
            _open[handle] = new OpenFile(node, writable);
            return handle;
        }
    }

    public int Read(ulong handle, long offset, Span<byte> destination)
    {
        lock (_gate)
        {
            var file = Handle(handle);
            // What was written to this inode, by any handle, is what every handle on it reads.
            if (file.Node.Content is { } content) return content.Read(offset, destination);
            // The blob, streamed: sequential reads continue where the last one stopped; a read
            // behind the stream starts it over, one ahead skips forward.
            if (file.Reader is null || offset < file.Reader.Position)
            {
                file.Reader?.Dispose();
                file.Reader = _store.Objects.OpenBlob(file.Node.Id);
            }
            var reader = file.Reader;
            if (offset > reader.Position)
            {
                var skip = new byte[64 * 1024];
                while (reader.Position < offset && reader.Read(skip, 0, (int)Math.Min(skip.Length, offset - reader.Position)) > 0) { }
            }
            int filled = 0, n;
            while (filled < destination.Length && (n = reader.Read(destination[filled..])) > 0) filled += n;
            return filled;
        }
    }

    // ---------------------------------------------------------------- writing

    public (NodeAttributes Attributes, ulong Handle) Create(ulong parent, string name, bool executable)
    {
        lock (_gate)
        {
            if (Directory(parent) is { Synthetic: SyntheticKind.Entities } entities) return CreateEntityFile(entities, name);
            var dir = WritableDirectory(parent);
            CheckName(dir, name);
            if (dir.Children!.ContainsKey(name)) throw new FsException(FsError.Exists, name);
            var node = Place(dir, name, executable ? NodeKind.ExecutableFile : NodeKind.File, new FileBuffer([]));
            // Durable at close (flush), like every write: one fsync per file, not two. Until then
            // an in-memory row (version 0, never committed) keeps it in view through ref moves.
            node.Dirty = true;
            Remember(Entry(node));
            ulong handle = _nextHandle++;
            _open[handle] = new OpenFile(node, true);
            return (Attributes(node), handle);
        }
    }

    public int Write(ulong handle, long offset, ReadOnlySpan<byte> data)
    {
        lock (_gate)
        {
            var file = Handle(handle);
            if (!file.Writable) throw new FsException(FsError.BadHandle, "not open for writing");
            Writable(file.Node).Write(offset, data);
            file.Node.Dirty = true;
            file.Node.Modified = DateTimeOffset.UtcNow;
            return data.Length;
        }
    }

    /// <summary>flush (every close), fsync: the file's bytes become durable overlay rows.</summary>
    public void Flush(ulong handle)
    {
        lock (_gate)
        {
            var file = Handle(handle);
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
        if (IsCurrent(node))
        {
            Save(node);
            return;
        }
        node.Dirty = false;
        if (node.ReplacedByRefMove) SetAside([Entry(node)], CommitId, $"{node.Path} was open for writing when {RefName} changed it");
    }

    private bool IsCurrent(Node node) => node.Exists && _byPath.TryGetValue(node.Path, out var inode) && inode == node.Inode;

    /// <summary>Every written, unsaved file, saved now (the mount is going away).</summary>
    public void SaveAll()
    {
        lock (_gate)
        {
            foreach (var node in _nodes.OfType<Node>().Where(n => n.Dirty).ToList()) SaveOrSetAside(node);
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

    /// <summary>chmod (the exec bit is all git keeps), truncate, utimens.</summary>
    public NodeAttributes SetAttributes(ulong inode, long? size, bool? executable, DateTimeOffset? modified)
    {
        lock (_gate)
        {
            var node = Get(inode);
            if (node.ReadOnly && (size is not null || executable is not null)) throw new FsException(FsError.ReadOnly, $"{node.Path} is a read-only view");
            bool changed = false;
            if (size is { } length)
            {
                if (node.IsDirectory) throw new FsException(FsError.IsADirectory, node.Path);
                Truncate(node, length);
                changed = true;
            }
            if (executable is { } exec && node.Kind is NodeKind.File or NodeKind.ExecutableFile)
            {
                var kind = exec ? NodeKind.ExecutableFile : NodeKind.File;
                if (kind != node.Kind)
                {
                    node.Kind = kind;
                    changed = true;
                }
            }
            if (modified is { } time) node.Modified = time;
            // An entity file is saved when closed; truncate(2) without an open file is a save of its own.
            if (changed && IsEntityNode(node))
            {
                if (!_open.Values.Any(o => o.Writable && o.Node == node)) SaveOrSetAside(node);
            }
            else if (changed) Save(node);
            return Attributes(node);
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
            Remove(dir, node);
        }
    }

    public NodeAttributes MakeDirectory(ulong parent, string name)
    {
        lock (_gate)
        {
            var dir = WritableDirectory(parent);
            CheckName(dir, name);
            if (dir.Children!.ContainsKey(name)) throw new FsException(FsError.Exists, name);
            var node = Place(dir, name, NodeKind.Directory, null);
            node.Opaque = true;
            node.Children = new(StringComparer.Ordinal);
            Record(new OverlayEntry(node.Path, OverlayKind.Directory, null, null, ++_version));
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
            Remove(dir, node);
        }
    }

    public NodeAttributes Symlink(ulong parent, string name, byte[] target)
    {
        lock (_gate)
        {
            var dir = WritableDirectory(parent);
            CheckName(dir, name);
            if (dir.Children!.ContainsKey(name)) throw new FsException(FsError.Exists, name);
            var node = Place(dir, name, NodeKind.Symlink, new FileBuffer(target));
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
                Remove(to, existing);
            }
            for (var up = to; up.Inode != RootInode; up = Get(up.Parent))
                if (up == node) throw new FsException(FsError.InvalidArgument, "cannot move a directory into itself");

            // What was at the old path goes; the node, with its inode, moves to the new one: the
            // old path's rows and the new path's rows in one transaction, never half a rename.
            var content = Describe(node);
            var oldPath = node.Path;
            var moot = ForgetBelow(oldPath);
            Remember(new OverlayEntry(oldPath, OverlayKind.Deleted, null, null, ++_version, CommitId));
            from.Children!.Remove(name);
            Move(node, to, newName);
            to.Children[newName] = node.Inode;
            Save(node, content, extra: [_overlay[oldPath]], removed: moot);
        }
    }

    // ---------------------------------------------------------------- ref moves and commits

    /// <summary>
    /// Moves the mount to the ref's new commit (someone pushed). The overlay applies on the new
    /// tree. Returns what the kernel must forget. Files already open keep reading what they opened.
    /// </summary>
    public Invalidations MoveTo(ObjectId commitId)
    {
        lock (_gate)
        {
            var result = new Invalidations();
            if (commitId == CommitId) return result;
            var commit = _store.Objects.ReadCommit(commitId);
            SetAsideConflicts(CommitId, commit.Tree);
            CommitId = commitId;
            Rebase();
            Modified = DateTimeOffset.FromUnixTimeSeconds(commit.CommitTime);
            var root = _nodes[(int)RootInode]!;
            if (root.Id != commit.Tree)
            {
                root.Id = commit.Tree;
                root.Modified = Modified;
                _pending = result;
                Refill(root, result);
                _pending = null;
            }
            return result;
        }
    }

    /// <summary>
    /// Commits the durable overlay (ignored paths left out) on top of the mounted commit, and
    /// takes the commit in, under the tree's lock: no one sees the ref moved but the overlay not
    /// yet adopted. Null when there was nothing to commit or the ref moved meanwhile
    /// (<paramref name="status"/> says which; the follower then moves the tree and a retry rebases).
    /// </summary>
    public OverlayCommitResult? CommitOverlay(Func<string, bool, bool> ignored, string who, out Clive.Store.Refs.RefUpdateStatus status)
    {
        lock (_gate)
        {
            var baseTree = _nodes[(int)RootInode]!.Id;
            // Saved rows only; ignore rules hold for untracked paths only, as in git.
            var entries = _overlay.Values
                .Where(e => e.Version > 0 && !KeptOutOfCommits(e, ignored, baseTree))
                .OrderBy(e => e.Path, StringComparer.Ordinal).ToList();
            var result = OverlayCommit.Commit(_store, Repo, RefName, CommitId, entries, _identity, who, out status);
            if (result is not null) Adopt(result);
            return result;
        }
    }

    /// <summary>
    /// An ignored path the tree does not track stays in the mount and out of commits. Its deletion
    /// (an editor's swap file removed) is not kept out: it changes nothing, and the commit spends it.
    /// </summary>
    private bool KeptOutOfCommits(OverlayEntry e, Func<string, bool, bool> ignored, ObjectId baseTree)
        => e.Kind != OverlayKind.Deleted && ignored(e.Path, e.Kind == OverlayKind.Directory) && Lookup(baseTree, e.Path).IsZero;

    /// <summary>
    /// A real conflict: the ref moved and changed a path the overlay changed too. No byte is
    /// dropped: all local edits are committed, on the commit they were made on, to a branch of
    /// their own (visible under .clive/refs/heads/clive-fs/), the conflicting ones leave the
    /// overlay so the mount shows the new version, and the user is told in the log and
    /// .clive/status. Edits elsewhere stay pending and land on top of the new commit.
    /// </summary>
    private void SetAsideConflicts(ObjectId oldCommit, ObjectId newTree)
    {
        var oldTree = _store.Objects.ReadCommit(oldCommit).Tree;
        var conflicting = _overlay.Values.Where(e => (e.Base ?? oldCommit) == oldCommit && Lookup(oldTree, e.Path) != Lookup(newTree, e.Path)).ToList();
        if (conflicting.Count == 0) return;
        var why = $"{string.Join(", ", conflicting.Select(e => e.Path))} changed on {RefName} too";
        if (!SetAside(_overlay.Values.Where(e => e.Version > 0).OrderBy(e => e.Path, StringComparer.Ordinal).ToList(), oldCommit, why)
            && conflicting.Any(e => e.Version > 0 && !IsNoOp(oldTree, e))) return; // could not set them aside: keep them rather than lose them
        _store.Overlay.Remove(Repo, RefName, conflicting);
        foreach (var e in conflicting)
        {
            Forget(e.Path);
            if (_byPath.TryGetValue(e.Path, out var inode) && _nodes[(int)inode] is { } node) node.Overlaid = true; // re-read from the new tree
        }
    }

    /// <summary>The rows that survived a ref move now stand on the new commit, in memory and on disk.</summary>
    private void Rebase()
    {
        var moved = _overlay.Values.Where(e => e.Version > 0 && e.Base != CommitId).Select(e => e with { Base = CommitId }).ToList();
        if (moved.Count == 0) return;
        foreach (var e in moved) Remember(e);
        _store.Overlay.Save(Repo, RefName, moved);
    }

    /// <summary>Whether a row would change nothing on a tree (then setting it aside has nothing to keep).</summary>
    private bool IsNoOp(ObjectId tree, OverlayEntry e)
        => e.Kind == OverlayKind.Deleted ? Lookup(tree, e.Path).IsZero : e.Id is { } id && Lookup(tree, e.Path) == id;

    /// <summary>Commits rows to a new conflict branch on <paramref name="parent"/>, and tells the user. False if nothing was committed.</summary>
    private bool SetAside(IReadOnlyList<OverlayEntry> rows, ObjectId parent, string why)
    {
        var branch = $"refs/heads/clive-fs/conflict-{DateTimeOffset.UtcNow:yyyyMMdd-HHmmss-fff}-{parent.ToString()[..7]}";
        var saved = rows.Count == 0 ? null
            : OverlayCommit.Commit(_store, Repo, branch, parent, ObjectId.Zero, rows, _identity, Clive.Access.Principal.Owner.Name, "clive-fs conflict", out _);
        if (saved is null || saved.Commit == parent) return false;
        _conflicts.Add(branch, $"{why}; your version is kept on {branch} ({saved.Commit.ToString()[..12]})");
        return true;
    }

    /// <summary>The id at a path of a tree, or zero.</summary>
    private ObjectId Lookup(ObjectId tree, string path)
    {
        var id = tree;
        foreach (var segment in path.Split('/'))
        {
            if (!_store.Objects.TryLocate(id, out var location) || location.Type != ObjectType.Tree) return ObjectId.Zero;
            var found = TreeParser.Entries(_store.Objects.Read(id, ObjectType.Tree)).FirstOrDefault(e => e.Name.Span.SequenceEqual(Encoding.UTF8.GetBytes(segment)));
            if (found.Name.IsEmpty) return ObjectId.Zero;
            id = found.Id;
        }
        return id;
    }

    /// <summary>The committed rows leave the overlay (unless edited since); nodes now stand on the new tree, keeping inodes and content.</summary>
    private void Adopt(OverlayCommitResult commit)
    {
        foreach (var entry in commit.Committed)
        {
            if (_overlay.TryGetValue(entry.Path, out var current) && current.Version == entry.Version) Forget(entry.Path);
        }
        foreach (var (path, id) in commit.Ids)
        {
            if (_byPath.TryGetValue(path, out var inode) && _nodes[(int)inode] is { Exists: true } node && !_overlay.ContainsKey(path))
            {
                node.Id = id;
                node.Overlaid = false;
                node.Opaque = false;
            }
        }
        _nodes[(int)RootInode]!.Id = commit.Tree;
        CommitId = commit.Commit;
    }

    // ---------------------------------------------------------------- internals

    private OpenFile Handle(ulong handle)
        => _open.TryGetValue(handle, out var file) ? file : throw new FsException(FsError.BadHandle, $"handle {handle}");

    /// <summary>A node by number. Replaced and removed nodes still answer, as an unlinked file still open does.</summary>
    private Node Get(ulong inode)
        => inode < (ulong)_nodes.Count && _nodes[(int)inode] is { } node ? node : throw new FsException(FsError.NotFound, $"inode {inode}");

    private Node Child(Node dir, string name)
        => dir.Children!.TryGetValue(name, out var inode) ? Get(inode) : throw new FsException(FsError.NotFound, name);

    private Node Directory(ulong inode)
    {
        var node = Get(inode);
        if (!node.IsDirectory) throw new FsException(FsError.NotADirectory, node.Path);
        if (node.Synthetic != SyntheticKind.None) FillSynthetic(node);
        else if (node.Children is null) Fill(node);
        return node;
    }

    /// <summary>A directory that may be changed: not part of a .clive/ view.</summary>
    private Node WritableDirectory(ulong inode)
    {
        var dir = Directory(inode);
        if (dir.ReadOnly) throw new FsException(FsError.ReadOnly, $"{dir.Path} is a read-only view");
        return dir;
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
        node.Modified = DateTimeOffset.UtcNow;
    }

    private Node Place(Node dir, string name, NodeKind kind, FileBuffer? content)
    {
        var node = NewNode(dir.Inode, Join(dir.Path, name), name);
        node.Kind = kind;
        node.Content = content;
        node.Overlaid = true;
        node.Modified = DateTimeOffset.UtcNow;
        dir.Children![name] = node.Inode;
        return node;
    }

    private void Remove(Node dir, Node node)
    {
        dir.Children!.Remove(node.Name);
        node.Exists = false;
        // Rows for paths below a removed directory are moot now, in memory and on disk, together.
        var moot = ForgetBelow(node.Path);
        Record(new OverlayEntry(node.Path, OverlayKind.Deleted, null, null, ++_version), moot);
    }

    private void Move(Node node, Node to, string newName)
    {
        var oldPath = node.Path;
        var newPath = Join(to.Path, newName);
        foreach (var (path, inode) in _byPath.Where(p => p.Key == oldPath || p.Key.StartsWith(oldPath + "/", StringComparison.Ordinal)).ToList())
        {
            _byPath.Remove(path);
            var moved = _nodes[(int)inode]!;
            moved.Path = newPath + path[oldPath.Length..];
            _byPath[moved.Path] = inode;
        }
        node.Parent = to.Inode;
        node.Name = newName;
    }

    /// <summary>What a node holds, as overlay rows for its (current) path and everything below it.</summary>
    private List<OverlayEntry> Describe(Node node)
    {
        var rows = new List<OverlayEntry>();
        if (!node.IsDirectory)
        {
            rows.Add(Entry(node));
            return rows;
        }
        // Pre-order with its own stack: a moved directory may nest deeper than the thread's stack.
        var pending = new Stack<Node>();
        pending.Push(node);
        while (pending.TryPop(out var next))
        {
            if (!next.IsDirectory)
            {
                rows.Add(Entry(next));
                continue;
            }
            rows.Add(new OverlayEntry(next.Path, OverlayKind.Directory, null, null, 0));
            foreach (var (_, inode) in Directory(next.Inode).Children!.Reverse()) pending.Push(Get(inode));
        }
        return rows;
    }

    private OverlayEntry Entry(Node node)
    {
        var kind = node.Kind switch
        {
            NodeKind.ExecutableFile => OverlayKind.Executable,
            NodeKind.Symlink => OverlayKind.Symlink,
            NodeKind.Directory => OverlayKind.Directory,
            _ => OverlayKind.File,
        };
        return node.Content is { } content
            ? new OverlayEntry(node.Path, kind, content.ToArray(), null, 0)
            : new OverlayEntry(node.Path, kind, null, node.Id, 0);
    }

    /// <summary>Saves a node (and, for a moved directory, its subtree) as overlay rows, durably, in one transaction.</summary>
    private void Save(Node node, List<OverlayEntry>? described = null, IEnumerable<OverlayEntry>? extra = null, IEnumerable<string>? removed = null)
    {
        var rows = described is null ? [Entry(node)] : described.Select(r => r with { Path = node.Path + r.Path[described[0].Path.Length..] }).ToList();
        foreach (var row in rows) Remember(row with { Version = ++_version, Base = CommitId });
        _store.Overlay.Save(Repo, RefName, rows.Select(r => _overlay[r.Path]).Concat(extra ?? []), removed);
        node.Dirty = false;
        node.Overlaid = true;
        Saved?.Invoke();
    }

    private void Record(OverlayEntry entry, IEnumerable<string>? removed = null)
    {
        entry = entry with { Base = CommitId };
        Remember(entry);
        _store.Overlay.Save(Repo, RefName, [entry], removed);
        Saved?.Invoke();
    }

    /// <summary>Forgets the rows below a path (in memory); returns their paths, for the same transaction to delete.</summary>
    private List<string> ForgetBelow(string path)
    {
        var below = _overlay.Keys.Where(p => p.StartsWith(path + "/", StringComparison.Ordinal)).ToList();
        foreach (var p in below) Forget(p);
        return below;
    }

    private void Remember(OverlayEntry entry)
    {
        _overlay[entry.Path] = entry;
        var parent = OverlayCommit.Parent(entry.Path);
        if (!_overlayByParent.TryGetValue(parent, out var names)) _overlayByParent[parent] = names = new(StringComparer.Ordinal);
        names.Add(OverlayCommit.Name(entry.Path));
    }

    private void Forget(string path)
    {
        _overlay.Remove(path);
        if (_overlayByParent.TryGetValue(OverlayCommit.Parent(path), out var names)) names.Remove(OverlayCommit.Name(path));
    }

    /// <summary>Re-reads a loaded directory after its tree changed, recursing into loaded subdirectories that changed too.</summary>
    private void Refill(Node dir, Invalidations result)
    {
        result.Inodes.Add(dir.Inode);
        if (dir.Children is null) return; // never listed: it will be read fresh on first use
        var before = dir.Children;
        dir.Children = null;
        Fill(dir);
        foreach (var (name, inode) in before)
        {
            if (!dir.Children!.ContainsKey(name))
            {
                _nodes[(int)inode]!.Exists = false;
                result.Entries.Add((dir.Inode, name));
            }
        }
    }

    /// <summary>A directory's entries: the ref's tree (unless the directory was made here), then the overlay on top.</summary>
    private void Fill(Node dir)
    {
        var children = new Dictionary<string, ulong>(StringComparer.Ordinal);
        HashSet<string>? overlaid = null;
        if (!dir.ReadOnly) _overlayByParent.TryGetValue(dir.Path, out overlaid);
        if (!dir.Id.IsZero && !dir.Opaque)
        {
            foreach (var entry in TreeParser.Entries(_store.Objects.Read(dir.Id, ObjectType.Tree)))
            {
                var name = Encoding.UTF8.GetString(entry.Name.Span);
                if (overlaid?.Contains(name) == true || IsControlDirectory(dir, name)) continue;
                children[name] = FromTree(dir, name, entry).Inode;
            }
        }
        // Directories that only rows below them imply (upstream deleted the parent of a new file).
        if (!dir.ReadOnly)
        {
            var prefix = dir.Path.Length == 0 ? "" : dir.Path + "/";
            foreach (var path in _overlay.Keys.Where(p => p.StartsWith(prefix, StringComparison.Ordinal) && p.IndexOf('/', prefix.Length) > 0))
            {
                var name = path[prefix.Length..path.IndexOf('/', prefix.Length)];
                if (children.ContainsKey(name) || overlaid?.Contains(name) == true || _overlay[path].Kind == OverlayKind.Deleted
                    || IsControlDirectory(dir, name)) continue;
                var implied = NodeFor(dir.Inode, Join(dir.Path, name), name);
                implied.Kind = NodeKind.Directory;
                implied.Exists = true;
                if (!implied.Opaque)
                {
                    implied.Opaque = true;
                    implied.Children = null; // whatever it listed from a tree is gone
                }
                implied.Id = ObjectId.Zero;
                if (implied.Modified == default) implied.Modified = Modified;
                children[name] = implied.Inode;
            }
        }
        foreach (var name in overlaid ?? [])
        {
            if (IsControlDirectory(dir, name)) continue;
            var path = Join(dir.Path, name);
            var entry = _overlay[path];
            if (entry.Kind == OverlayKind.Deleted) continue;
            var node = NodeFor(dir.Inode, path, name);
            node.Exists = true;
            if (!node.Overlaid)
            {
                node.Overlaid = true;
                node.Kind = entry.Kind switch
                {
                    OverlayKind.Directory => NodeKind.Directory,
                    OverlayKind.Executable => NodeKind.ExecutableFile,
                    OverlayKind.Symlink => NodeKind.Symlink,
                    _ => NodeKind.File,
                };
                node.Opaque = entry.Kind == OverlayKind.Directory;
                if (entry.Data is not null && node.Content is null) node.Content = new FileBuffer(entry.Data);
                if (entry.Id is { } id) node.Id = id;
                node.Size = -1;
                if (node.Modified == default) node.Modified = Modified;
            }
            children[name] = node.Inode;
        }
        dir.Children = children;
    }

    /// <summary>
    /// A root entry named .clive, committed by anyone who can push: never shown, or it would stand
    /// in for the control directory (a forged status, forged branch views). It stays in the
    /// commits, readable through .clive/refs/heads/&lt;branch&gt;/.clive and .clive/commits/&lt;id&gt;/.clive.
    /// </summary>
    private static bool IsControlDirectory(Node dir, string name) => dir.Inode == RootInode && name == CliveDirectory;

    /// <summary>A child as the ref's tree has it; during a ref move a changed file is replaced by a new inode.</summary>
    private Node FromTree(Node dir, string name, TreeEntry entry)
    {
        var path = Join(dir.Path, name);
        var child = NodeFor(dir.Inode, path, name);
        var kind = entry.Mode switch
        {
            TreeEntry.Directory or TreeEntry.Gitlink => NodeKind.Directory,
            TreeEntry.Symlink => NodeKind.Symlink,
            TreeEntry.ExecutableFile => NodeKind.ExecutableFile,
            _ => NodeKind.File,
        };
        var id = entry.IsGitlink ? ObjectId.Zero : entry.Id;
        bool fresh = child.Modified == default;
        bool changed = !fresh && (!child.Exists || child.Kind != kind || child.Id != id || child.Overlaid);
        if (changed && !(child.IsDirectory && kind == NodeKind.Directory))
        {
            // A file whose content changed is replaced, as a checkout replaces it on disk: the path
            // gets a new inode, and descriptors open on the old one keep reading what they opened
            // (the page cache is per inode).
            child.Exists = false;
            child.ReplacedByRefMove = true;
            child = NewNode(dir.Inode, path, name);
            fresh = true;
        }
        child.Exists = true;
        child.ReadOnly = dir.ReadOnly;
        if (fresh || changed)
        {
            bool loaded = child.Children is not null;
            child.Kind = kind;
            child.Id = id;
            child.Size = -1;
            child.Content = null;
            child.Overlaid = false;
            child.Opaque = false;
            child.Modified = Modified;
            // During a ref move a changed directory the kernel knows is re-read at once, so that its
            // own changes are invalidated too; anything else is read on first use.
            if (changed && loaded && _pending is not null) Refill(child, _pending);
            else child.Children = entry.IsGitlink ? [] : null;
        }
        if ((fresh || changed) && _pending is not null) _pending.Entries.Add((dir.Inode, name));
        return child;
    }

    private Node NodeFor(ulong parent, string path, string name)
        => _byPath.TryGetValue(path, out var existing) ? _nodes[(int)existing]! : NewNode(parent, path, name);

    /// <summary>A new inode for a path; numbers are never reused.</summary>
    private Node NewNode(ulong parent, string path, string name)
    {
        var node = new Node((ulong)_nodes.Count, parent, path, name);
        _nodes.Add(node);
        _byPath[path] = node.Inode;
        return node;
    }

    private NodeAttributes Attributes(Node node)
    {
        long size = node.IsDirectory ? 0
            : node.Content is { } content ? content.Length
            : node.Size >= 0 ? node.Size
            : node.Size = _store.Objects.SizeOf(node.Id);
        return new NodeAttributes(node.Inode, node.Kind, size, node.Modified, node.Synthetic != SyntheticKind.None || node.Path.StartsWith(CliveDirectory + "/", StringComparison.Ordinal));
    }

    private static string Join(string directory, string name) => directory.Length == 0 ? name : directory + "/" + name;

    /// <summary>What a mount of <c>repo[@ref]</c> would show, or a one-line error: checked before mounting, without side effects.</summary>
    public static (string Repo, long RepoId, string RefName, ObjectId Commit) Resolve(CliveStore store, string repo, string? refName)
    {
        repo = Clive.Store.Repos.RepoName.Normalize(repo);
        long repoId = store.Repos.GetId(repo);
        var full = refName is null
            ? store.Refs.SymbolicTarget(repoId, Clive.Store.Refs.RefDatabase.Head) ?? throw new CliveException($"'{repo}' has no HEAD")
            : store.Refs.FullName(repoId, refName) ?? Clive.Store.Refs.ShortRefName.Branch(refName);
        var commit = store.Refs.Get(repoId, full) ?? throw new CliveException($"'{repo}' has no ref '{refName ?? full}'");
        return (repo, repoId, full, commit);
    }

    public void Dispose() => _store.Dispose();
}
