using Clive.Git;
using Clive.Store.Overlay;

namespace Clive.Fs;

/// <summary>What an entry is. The last four are never committed: git keeps no fifos, sockets or device nodes.</summary>
public enum NodeKind { Directory, File, ExecutableFile, Symlink, Fifo, Socket, CharDevice, BlockDevice }

/// <summary>The made-up directories and files of .clive/ (<see cref="EntityScratch"/>: an editor's temporary or backup file beside the entity files).</summary>
internal enum SyntheticKind { None, CliveRoot, RefNamespace, Commits, Status, Entities, EntityFile, EntityScratch }

/// <summary>
/// What a stat call reports for a node. <see cref="Mode"/> is the whole st_mode (type and
/// permissions); <see cref="Links"/> the number of names (st_nlink). <see cref="Volatile"/>: part
/// of .clive/, which changes without the kernel being told (refs move, the status changes), so it
/// must not be cached.
/// </summary>
public readonly record struct NodeAttributes(ulong Inode, NodeKind Kind, long Size, uint Mode, uint Uid, uint Gid, ulong Device, uint Links,
    FileTime Accessed, FileTime Modified, FileTime Changed, bool Volatile = false);

/// <summary>
/// A node's POSIX attributes once anything set or kept them (a file made or written here, chmod,
/// chown, utimens, a fifo); nodes without are shown with a checkout's defaults. Kept durably as
/// <see cref="EntryAttributes"/> rows.
/// </summary>
internal sealed class PosixAttributes
{
    public uint Permissions { get; set; }
    public uint Uid { get; set; }
    public uint Gid { get; set; }
    public ulong Device { get; set; }
    public FileTime Accessed { get; set; }
    public FileTime Modified { get; set; }
    public FileTime Changed { get; set; }
}

/// <summary>
/// One path of the mounted tree. Its inode number is given once per path and never reused, so
/// tools that remember inodes (editors, build systems, git itself) see a stable file system.
/// </summary>
internal sealed class Node(ulong inode, ulong parent, string path, string name)
{
    public ulong Inode { get; } = inode;
    /// <summary>Where the node is now: a rename moves the node (and keeps its inode), as on disk.</summary>
    public ulong Parent { get; set; } = parent;
    public string Path { get; set; } = path;
    public string Name { get; set; } = name;

    /// <summary>The file's bytes once written here (or loaded to be written); null while it is the blob <see cref="Id"/>.</summary>
    public FileBuffer? Content { get; set; }

    /// <summary>Written here and not yet saved to the overlay.</summary>
    public bool Dirty { get; set; }

    /// <summary>Defined by the overlay rather than the ref's tree.</summary>
    public bool Overlaid { get; set; }

    /// <summary>A directory made here: nothing of the ref's tree shows through it.</summary>
    public bool Opaque { get; set; }

    /// <summary>Part of a view under .clive/: another branch or commit, never written.</summary>
    public bool ReadOnly { get; set; }

    /// <summary>For a node under .clive/ that is not a Git tree: what it lists.</summary>
    public SyntheticKind Synthetic { get; set; }
    public NodeKind Kind { get; set; }
    public ObjectId Id { get; set; }
    public long Size { get; set; } = -1;

    /// <summary>When this path last changed as far as the mount has seen: stable across unrelated pushes.</summary>
    public DateTimeOffset Modified { get; set; }

    /// <summary>Replaced by a ref move while open: its unsaved bytes are set aside, not saved over the new version.</summary>
    public bool ReplacedByRefMove { get; set; }

    /// <summary>False once the path has left the tree (its inode number stays reserved for it).</summary>
    public bool Exists { get; set; } = true;

    /// <summary>Child name to inode, filled from the tree object on first use.</summary>
    public Dictionary<string, ulong>? Children { get; set; }

    /// <summary>Set once the node has attributes of its own (see <see cref="PosixAttributes"/>).</summary>
    public PosixAttributes? Posix { get; set; }

    /// <summary>The node's other names (hard links), by path; empty for almost every node.</summary>
    public List<string> OtherNames { get; } = [];

    public bool IsDirectory => Kind == NodeKind.Directory;

    /// <summary>A fifo, socket or device node: shown and kept, never committed.</summary>
    public bool IsSpecial => Kind is NodeKind.Fifo or NodeKind.Socket or NodeKind.CharDevice or NodeKind.BlockDevice;
}
