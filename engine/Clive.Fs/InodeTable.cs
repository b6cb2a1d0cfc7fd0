namespace Clive.Fs;

/// <summary>
/// The mount's inodes. A number is given once per node and never reused, so tools that remember
/// inodes see a stable file system, and a node that left the tree (unlinked, replaced by a ref
/// move) still answers by its number, as an unlinked file that is still open does. The path index
/// names, for each path, the newest node given for it.
/// </summary>
internal sealed class InodeTable
{
    private readonly List<Node?> _nodes = [null]; // inode numbers start at 1
    private readonly Dictionary<string, ulong> _byPath = new(StringComparer.Ordinal);

    /// <summary>The root directory: the first node given.</summary>
    public Node Root => _nodes[(int)MountedTree.RootInode]!;

    /// <summary>A node by number, whether or not its path still shows it.</summary>
    public Node Get(ulong inode)
        => inode < (ulong)_nodes.Count && _nodes[(int)inode] is { } node ? node : throw new FsException(FsError.NotFound, $"inode {inode}");

    /// <summary>The newest node given for a path (it may have left the tree since).</summary>
    public bool TryGetByPath(string path, out Node node)
    {
        node = _byPath.TryGetValue(path, out var inode) ? _nodes[(int)inode]! : null!;
        return node is not null;
    }

    /// <summary>The path's node, given now if the path never had one.</summary>
    public Node ForPath(ulong parent, string path, string name) => TryGetByPath(path, out var existing) ? existing : Add(parent, path, name);

    /// <summary>A new node for a path, which from now on is the one its path names.</summary>
    public Node Add(ulong parent, string path, string name)
    {
        var node = new Node((ulong)_nodes.Count, parent, path, name);
        _nodes.Add(node);
        _byPath[path] = node.Inode;
        return node;
    }

    /// <summary>Another name for a node (a hard link): from now on the path names it.</summary>
    public void Name(string path, Node node) => _byPath[path] = node.Inode;

    /// <summary>A name that no longer names the node (a hard link unlinked); the path is free for a new node.</summary>
    public void Unname(string path, Node node)
    {
        if (_byPath.TryGetValue(path, out var inode) && inode == node.Inode) _byPath.Remove(path);
    }

    /// <summary>Whether the node is in the tree and its path names it (not unlinked, renamed over or replaced).</summary>
    public bool IsCurrent(Node node) => node.Exists && _byPath.TryGetValue(node.Path, out var inode) && inode == node.Inode;

    /// <summary>Moves a node, and every node given below its path, to <paramref name="newPath"/>, keeping their numbers.</summary>
    public void Move(Node node, ulong newParent, string newPath, string newName)
    {
        var oldPath = node.Path;
        foreach (var (path, inode) in _byPath.Where(p => p.Key == oldPath || p.Key.StartsWith(oldPath + "/", StringComparison.Ordinal)).ToList())
        {
            _byPath.Remove(path);
            var moved = _nodes[(int)inode]!;
            var renamed = newPath + path[oldPath.Length..];
            // A hard link's other name moves as a name; the node's own path only if it is this one.
            if (moved.Path == path) moved.Path = renamed;
            else if (moved.OtherNames.IndexOf(path) is var i and >= 0) moved.OtherNames[i] = renamed;
            _byPath[renamed] = inode;
        }
        node.Parent = newParent;
        node.Name = newName;
    }

    /// <summary>Nodes written and not yet saved.</summary>
    public List<Node> Dirty() => _nodes.OfType<Node>().Where(n => n.Dirty).ToList();
}
