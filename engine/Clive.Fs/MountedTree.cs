using System.Text;
using Clive.Git;
using Clive.Store;

namespace Clive.Fs;

/// <summary>
/// A ref's tree as a file system, independent of any kernel interface: lookups, listings,
/// attributes and reads, answered from the store. Committed content never changes, so whatever
/// is read can be cached for as long as the ref does not move.
/// </summary>
public sealed class MountedTree : IDisposable
{
    public const ulong RootInode = 1;

    private readonly CliveStore _store;
    private readonly object _gate = new();
    private readonly List<Node?> _nodes = [null]; // inode numbers start at 1
    private readonly Dictionary<string, ulong> _byPath = [];
    private readonly Dictionary<ulong, byte[]> _open = [];
    private ulong _nextHandle = 1;
    private Invalidations? _pending;

    public MountedTree(CliveStore store, string repo, string? refName)
    {
        _store = store;
        Repo = Clive.Store.Repos.RepoName.Normalize(repo);
        long repoId = store.Repos.GetId(Repo);
        RefName = refName is null
            ? store.Refs.SymbolicTarget(repoId, Clive.Store.Refs.RefDatabase.Head) ?? throw new CliveException($"'{Repo}' has no HEAD")
            : FullRefName(store, repoId, refName);
        RepoId = repoId;
        var commitId = store.Refs.Get(repoId, RefName) ?? throw new CliveException($"'{Repo}' has no ref '{refName ?? RefName}'");
        var commit = store.Objects.ReadCommit(commitId);
        CommitId = commitId;
        Modified = DateTimeOffset.FromUnixTimeSeconds(commit.CommitTime);
        var root = NodeFor(0, "", "");
        root.Kind = NodeKind.Directory;
        root.Id = commit.Tree;
        root.Modified = Modified;
    }

    public string Repo { get; }
    internal long RepoId { get; }
    public string RefName { get; }
    public ObjectId CommitId { get; private set; }

    /// <summary>The mounted commit's time: the mtime of what the mount has not seen change.</summary>
    public DateTimeOffset Modified { get; private set; }

    /// <summary>
    /// Moves the mount to the ref's new commit. Only directories whose tree changed are re-read;
    /// returns what the kernel must forget: changed entries (parent, name) and changed files.
    /// Files already open keep reading what they opened.
    /// </summary>
    public Invalidations MoveTo(ObjectId commitId)
    {
        lock (_gate)
        {
            var result = new Invalidations();
            if (commitId == CommitId) return result;
            _pending = result;
            var commit = _store.Objects.ReadCommit(commitId);
            CommitId = commitId;
            Modified = DateTimeOffset.FromUnixTimeSeconds(commit.CommitTime);
            var root = _nodes[(int)RootInode]!;
            if (root.Id != commit.Tree)
            {
                root.Id = commit.Tree;
                root.Modified = Modified;
                Refill(root, result);
            }
            _pending = null;
            return result;
        }
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

    public NodeAttributes Lookup(ulong parent, string name)
    {
        lock (_gate)
        {
            var dir = Directory(parent);
            if (!dir.Children!.TryGetValue(name, out var inode)) throw new FsException(FsError.NotFound, $"no '{name}'");
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
            return _store.Objects.Read(node.Id, ObjectType.Blob);
        }
    }

    /// <summary>Opens a file for reading; the handle holds its content until released.</summary>
    public ulong Open(ulong inode)
    {
        lock (_gate)
        {
            var node = Get(inode);
            if (node.IsDirectory) throw new FsException(FsError.IsADirectory, node.Path);
            var content = _store.Objects.Read(node.Id, ObjectType.Blob);
            ulong handle = _nextHandle++;
            _open[handle] = content;
            return handle;
        }
    }

    public int Read(ulong handle, long offset, Span<byte> destination)
    {
        byte[] content;
        lock (_gate)
        {
            if (!_open.TryGetValue(handle, out content!)) throw new FsException(FsError.BadHandle, $"handle {handle}");
        }
        if (offset >= content.Length) return 0;
        int n = (int)Math.Min(destination.Length, content.Length - offset);
        content.AsSpan((int)offset, n).CopyTo(destination);
        return n;
    }

    public void Release(ulong handle)
    {
        lock (_gate) _open.Remove(handle);
    }

    /// <summary>A node by number. Replaced and removed nodes still answer, as an unlinked file still open does.</summary>
    private Node Get(ulong inode)
        => inode < (ulong)_nodes.Count && _nodes[(int)inode] is { } node ? node : throw new FsException(FsError.NotFound, $"inode {inode}");

    private Node Directory(ulong inode)
    {
        var node = Get(inode);
        if (!node.IsDirectory) throw new FsException(FsError.NotADirectory, node.Path);
        if (node.Children is null) Fill(node);
        return node;
    }

    private void Fill(Node dir)
    {
        var children = new Dictionary<string, ulong>(StringComparer.Ordinal);
        // A submodule (gitlink) has no tree here: it shows as an empty directory, as in a checkout.
        if (!dir.Id.IsZero)
        {
            foreach (var entry in TreeParser.Entries(_store.Objects.Read(dir.Id, ObjectType.Tree)))
            {
                var name = Encoding.UTF8.GetString(entry.Name.Span);
                var path = dir.Path.Length == 0 ? name : dir.Path + "/" + name;
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
                bool changed = !fresh && (!child.Exists || child.Kind != kind || child.Id != id);
                if (changed && !(child.IsDirectory && kind == NodeKind.Directory))
                {
                    // A file whose content changed is replaced, as a checkout replaces it on disk:
                    // the path gets a new inode, and descriptors open on the old one keep reading
                    // what they opened (the page cache is per inode).
                    child.Exists = false;
                    child = NewNode(dir.Inode, path, name);
                    fresh = true;
                }
                child.Exists = true;
                if (fresh || changed)
                {
                    bool loaded = child.Children is not null;
                    child.Kind = kind;
                    child.Id = id;
                    child.Size = -1;
                    child.Modified = Modified;
                    // During a ref move, a changed directory the kernel knows is re-read at once so
                    // that its own changes are invalidated too; anything else is read on first use.
                    if (changed && loaded && _pending is not null)
                        Refill(child, _pending);
                    else
                        child.Children = entry.IsGitlink ? [] : null;
                }
                // Fill runs during a ref move only through Refill: every new or changed name is news to the kernel.
                if ((fresh || changed) && _pending is not null) _pending.Entries.Add((dir.Inode, name));
                children[name] = child.Inode;
            }
        }
        dir.Children = children;
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
        if (node.Size < 0)
            node.Size = node.IsDirectory ? 0 : _store.Objects.SizeOf(node.Id);
        return new NodeAttributes(node.Inode, node.Kind, node.Size, node.Modified);
    }

    private static string FullRefName(CliveStore store, long repoId, string name)
    {
        if (name.StartsWith("refs/", StringComparison.Ordinal)) return name;
        foreach (var candidate in new[] { "refs/heads/" + name, "refs/tags/" + name })
            if (store.Refs.Get(repoId, candidate) is not null) return candidate;
        return "refs/heads/" + name;
    }

    public void Dispose() => _store.Dispose();
}
