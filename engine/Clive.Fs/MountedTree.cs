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

    public MountedTree(CliveStore store, string repo, string? refName)
    {
        _store = store;
        Repo = Clive.Store.Repos.RepoName.Normalize(repo);
        long repoId = store.Repos.GetId(Repo);
        RefName = refName is null
            ? store.Refs.SymbolicTarget(repoId, Clive.Store.Refs.RefDatabase.Head) ?? throw new CliveException($"'{Repo}' has no HEAD")
            : FullRefName(store, repoId, refName);
        var commitId = store.Refs.Get(repoId, RefName) ?? throw new CliveException($"'{Repo}' has no ref '{refName ?? RefName}'");
        var commit = store.Objects.ReadCommit(commitId);
        CommitId = commitId;
        Modified = DateTimeOffset.FromUnixTimeSeconds(commit.CommitTime);
        var root = NodeFor(0, "", "");
        root.Kind = NodeKind.Directory;
        root.Id = commit.Tree;
    }

    public string Repo { get; }
    public string RefName { get; }
    public ObjectId CommitId { get; }

    /// <summary>The commit's time: every file's mtime until history-aware times come.</summary>
    public DateTimeOffset Modified { get; }

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
                var child = NodeFor(dir.Inode, dir.Path.Length == 0 ? name : dir.Path + "/" + name, name);
                child.Kind = entry.Mode switch
                {
                    TreeEntry.Directory or TreeEntry.Gitlink => NodeKind.Directory,
                    TreeEntry.Symlink => NodeKind.Symlink,
                    TreeEntry.ExecutableFile => NodeKind.ExecutableFile,
                    _ => NodeKind.File,
                };
                child.Id = entry.IsGitlink ? ObjectId.Zero : entry.Id;
                if (entry.IsGitlink) child.Children = [];
                children[name] = child.Inode;
            }
        }
        dir.Children = children;
    }

    private Node NodeFor(ulong parent, string path, string name)
    {
        if (_byPath.TryGetValue(path, out var existing)) return _nodes[(int)existing]!;
        var node = new Node((ulong)_nodes.Count, parent, path, name);
        _nodes.Add(node);
        _byPath[path] = node.Inode;
        return node;
    }

    private NodeAttributes Attributes(Node node)
    {
        if (node.Size < 0)
            node.Size = node.IsDirectory ? 0 : _store.Objects.SizeOf(node.Id);
        return new NodeAttributes(node.Inode, node.Kind, node.Size, Modified);
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
