using Clive.Git;
using Clive.Store;

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
    private readonly InodeTable _inodes = new();
    private readonly OpenFiles _open = new();
    private readonly PendingEdits _overlay;
    private Invalidations? _pending;

    /// <param name="identity">The author and committer of the mount's commits.</param>
    /// <param name="conflicts">Where conflicts are told to the user (the log and .clive/status).</param>
    /// <param name="owner">Who owns what nobody chowned (the user who mounts); root when not given.</param>
    public MountedTree(CliveStore store, string repo, string? refName, CommitIdentity identity, ConflictNotices conflicts, Caller? owner = null)
    {
        _store = store;
        Owner = owner ?? new Caller(0, 0);
        _identity = identity;
        _conflicts = conflicts;
        (Repo, RepoId, RefName, var commitId) = Resolve(store, repo, refName);
        _overlay = new PendingEdits(store, Repo, RefName);
        _entities = new EntityView(store, Repo, identity, conflicts);
        var commit = store.Objects.ReadCommit(commitId);
        CommitId = commitId;
        Modified = DateTimeOffset.FromUnixTimeSeconds(commit.CommitTime);
        var root = _inodes.ForPath(0, "", "");
        root.Kind = NodeKind.Directory;
        root.Id = commit.Tree;
        root.Modified = Modified;
        // Edits a previous mount saved and did not commit (it may have been killed) come back; if
        // the ref moved since, they meet it as they would have live: conflicts are set aside.
        var loaded = _overlay.Load();
        _kept.Load(store.Attributes.Load(Repo, RefName));
        Restore(root);
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
            if (!_inodes.TryGetByPath(path, out var node) || !node.Exists || node.IsDirectory) return null;
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
            return _open.Add(node, writable);
        }
    }

    public int Read(ulong handle, long offset, Span<byte> destination)
    {
        lock (_gate)
        {
            var file = _open.Get(handle);
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

    // ---------------------------------------------------------------- internals

    /// <summary>A node by number. Replaced and removed nodes still answer, as an unlinked file still open does.</summary>
    private Node Get(ulong inode) => _inodes.Get(inode);

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
