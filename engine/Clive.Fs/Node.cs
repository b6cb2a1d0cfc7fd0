using Clive.Git;

namespace Clive.Fs;

public enum NodeKind { Directory, File, ExecutableFile, Symlink }

/// <summary>What a stat call reports for a node.</summary>
public readonly record struct NodeAttributes(ulong Inode, NodeKind Kind, long Size, DateTimeOffset Modified);

/// <summary>
/// One path of the mounted tree. Its inode number is given once per path and never reused, so
/// tools that remember inodes (editors, build systems, git itself) see a stable file system.
/// </summary>
internal sealed class Node(ulong inode, ulong parent, string path, string name)
{
    public ulong Inode { get; } = inode;
    public ulong Parent { get; } = parent;
    public string Path { get; } = path;
    public string Name { get; } = name;
    public NodeKind Kind { get; set; }
    public ObjectId Id { get; set; }
    public long Size { get; set; } = -1;

    /// <summary>When this path last changed as far as the mount has seen: stable across unrelated pushes.</summary>
    public DateTimeOffset Modified { get; set; }

    /// <summary>False once the path has left the tree (its inode number stays reserved for it).</summary>
    public bool Exists { get; set; } = true;

    /// <summary>Child name to inode, filled from the tree object on first use.</summary>
    public Dictionary<string, ulong>? Children { get; set; }

    public bool IsDirectory => Kind == NodeKind.Directory;
}
