using System.Text;
using Clive.Git;
using Clive.Store.Overlay;

namespace Clive.Fs;

/// <summary>
/// Directories as the mount shows them: the ref's tree with the overlay on top, read on first use;
/// after a ref move, the directories the kernel knows are read again and what changed is collected
/// for the kernel to forget.
/// </summary>
public sealed partial class MountedTree
{
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
                var gone = Get(inode);
                var path = Join(dir.Path, name);
                // One name of a hard link gone: the node lives on under its others.
                if (gone.OtherNames.Count > 0 && (gone.Path == path || gone.OtherNames.Contains(path))) DetachName(gone, path);
                else gone.Exists = false;
                result.Entries.Add((dir.Inode, name));
            }
        }
    }

    /// <summary>A directory's entries: the ref's tree (unless the directory was made here), then the overlay on top.</summary>
    private void Fill(Node dir)
    {
        var children = new Dictionary<string, ulong>(StringComparer.Ordinal);
        HashSet<string>? overlaid = null;
        if (!dir.ReadOnly) overlaid = _overlay.NamesIn(dir.Path);
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
            foreach (var path in _overlay.Paths.Where(p => p.StartsWith(prefix, StringComparison.Ordinal) && p.IndexOf('/', prefix.Length) > 0))
            {
                var name = path[prefix.Length..path.IndexOf('/', prefix.Length)];
                if (children.ContainsKey(name) || overlaid?.Contains(name) == true || _overlay[path].Kind == OverlayKind.Deleted
                    || IsControlDirectory(dir, name)) continue;
                var implied = _inodes.ForPath(dir.Inode, Join(dir.Path, name), name);
                implied.Kind = NodeKind.Directory;
                implied.Exists = true;
                if (!implied.Opaque)
                {
                    implied.Opaque = true;
                    implied.Children = null; // whatever it listed from a tree is gone
                }
                implied.Id = ObjectId.Zero;
                if (implied.Modified == default) implied.Modified = Modified;
                Restore(implied);
                children[name] = implied.Inode;
            }
        }
        foreach (var name in overlaid ?? [])
        {
            if (IsControlDirectory(dir, name)) continue;
            var path = Join(dir.Path, name);
            var entry = _overlay[path];
            if (entry.Kind == OverlayKind.Deleted) continue;
            var node = LinkedNode(path, KindOf(entry.Kind), entry.Id ?? ObjectId.Zero) ?? _inodes.ForPath(dir.Inode, path, name);
            node.Exists = true;
            if (!node.Overlaid)
            {
                node.Overlaid = true;
                node.Kind = KindOf(entry.Kind);
                node.Opaque = entry.Kind == OverlayKind.Directory && entry.Id is null;
                if (entry.Data is not null && node.Content is null) node.Content = new FileBuffer(entry.Data);
                if (entry.Id is { } id) node.Id = id;
                node.Size = -1;
                if (node.Modified == default) node.Modified = Modified;
                Restore(node);
            }
            children[name] = node.Inode;
        }
        if (!dir.ReadOnly) FillSpecial(dir, children);
        dir.Children = children;
    }

    private static NodeKind KindOf(OverlayKind kind) => kind switch
    {
        OverlayKind.Directory => NodeKind.Directory,
        OverlayKind.Executable => NodeKind.ExecutableFile,
        OverlayKind.Symlink => NodeKind.Symlink,
        _ => NodeKind.File,
    };

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
        var kind = entry.Mode switch
        {
            TreeEntry.Directory or TreeEntry.Gitlink => NodeKind.Directory,
            TreeEntry.Symlink => NodeKind.Symlink,
            TreeEntry.ExecutableFile => NodeKind.ExecutableFile,
            _ => NodeKind.File,
        };
        var id = entry.IsGitlink ? ObjectId.Zero : entry.Id;
        // A name of a hard-link group joins the node its other names show, if it holds the same content.
        var child = (dir.ReadOnly ? null : LinkedNode(path, kind, id)) ?? _inodes.ForPath(dir.Inode, path, name);
        bool fresh = child.Modified == default;
        bool changed = !fresh && (!child.Exists || child.Kind != kind || child.Id != id || child.Overlaid);
        if (changed && !(child.IsDirectory && kind == NodeKind.Directory))
        {
            // A file whose content changed is replaced, as a checkout replaces it on disk: the path
            // gets a new inode, and descriptors open on the old one keep reading what they opened
            // (the page cache is per inode). A hard link's other names keep the old node.
            if (child.OtherNames.Count > 0) DetachName(child, path);
            else
            {
                child.Exists = false;
                child.ReplacedByRefMove = true;
            }
            child = _inodes.Add(dir.Inode, path, name);
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
            Restore(child);
        }
        if ((fresh || changed) && _pending is not null) _pending.Entries.Add((dir.Inode, name));
        return child;
    }
}
