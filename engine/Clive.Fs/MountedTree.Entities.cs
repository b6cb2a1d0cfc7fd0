using Clive.Core.Store.Entities;
using Clive.Git;

namespace Clive.Fs;

/// <summary>
/// .clive/entities/: the entity files, and the other files editors make beside them while they
/// save. A save is a version whether it is written in place or made by rename: sed -i and IDEs
/// write a temporary file and rename it over &lt;name&gt;.json; vim (backupcopy=auto) renames
/// &lt;name&gt;.json to a backup, writes a new &lt;name&gt;.json and deletes the backup. Files that are
/// not entity files (temporaries, backups, vim's 4913 probe) live in memory only, never in a
/// commit; an entity is never renamed or deleted through the mount.
/// </summary>
public sealed partial class MountedTree
{
    private const string EntitiesPath = CliveDirectory + "/" + EntityView.DirectoryName;

    /// <summary>Files made here and not (yet) an entity's version: scratch files, and entity files created and not yet saved.</summary>
    private readonly Dictionary<ulong, Node> _entityLocal = [];

    /// <summary>
    /// Entity files renamed away (to a backup name), by path: hidden, so that the editor can create
    /// the file anew; the version it showed is what the new file's save is compared-and-swapped
    /// against. Shown again once that file is saved or the backup is deleted.
    /// </summary>
    private readonly Dictionary<string, (ObjectId Version, ulong Backup)> _entityMovedAway = new(StringComparer.Ordinal);

    /// <summary>
    /// .clive/entities/…: each entity's value.json, as it is now. A file being edited (open for
    /// writing, or written and not yet closed) keeps the user's bytes until its save.
    /// </summary>
    private void FillEntities(Node dir, Dictionary<string, ulong> children)
    {
        var below = dir.Path.Length > EntitiesPath.Length ? dir.Path[(EntitiesPath.Length + 1)..] : "";
        var (directories, files) = _entities.Children(below);
        foreach (var name in directories) children[name] = Synthetic(dir, name, SyntheticKind.Entities).Inode;
        foreach (var (name, head) in files)
        {
            var path = Join(dir.Path, name);
            if (_entityMovedAway.ContainsKey(path)) continue;
            var node = _inodes.ForPath(dir.Inode, path, name);
            if (_entityLocal.ContainsKey(node.Inode)) continue;
            bool editing = node.Dirty || _open.IsOpenForWriting(node);
            if (!editing && (node.Id != head.Commit || node.Content is null || node.Synthetic != SyntheticKind.EntityFile))
            {
                node.Kind = NodeKind.File;
                node.Synthetic = SyntheticKind.EntityFile;
                node.ReadOnly = false;
                node.Exists = true;
                node.Id = head.Commit; // the version shown, which a save is compared-and-swapped against
                node.Content = new FileBuffer(_entities.Json(head));
                node.Modified = DateTimeOffset.UtcNow;
            }
            children[name] = node.Inode;
        }
        foreach (var local in _entityLocal.Values.Where(n => n.Parent == dir.Inode && n.Exists)) children[local.Name] = local.Inode;
    }

    /// <summary>The entity a path under .clive/entities names (<c>a/b.json</c> → <c>a/b</c>), or null for any other file.</summary>
    private static string? EntityNamed(string path)
    {
        if (!path.EndsWith(EntityView.Extension, StringComparison.Ordinal) || path.Length <= EntitiesPath.Length + 1 + EntityView.Extension.Length) return null;
        var name = EntityView.EntityOf(path, EntitiesPath);
        return EntityName.IsValid(name, out _) ? name : null;
    }

    /// <summary>
    /// A file made in an entities directory: an entity file (saved as a version at close, on the
    /// version renamed away from its name if any) or a scratch file (kept in memory only).
    /// </summary>
    private (NodeAttributes Attributes, ulong Handle) CreateEntityFile(Node dir, string name)
    {
        CheckName(dir, name);
        if (dir.Children!.ContainsKey(name)) throw new FsException(FsError.Exists, name);
        var path = Join(dir.Path, name);
        var node = _inodes.Add(dir.Inode, path, name);
        node.Kind = NodeKind.File;
        node.Content = new FileBuffer([]);
        node.Modified = DateTimeOffset.UtcNow;
        if (EntityNamed(path) is null)
        {
            node.Synthetic = SyntheticKind.EntityScratch;
        }
        else
        {
            node.Synthetic = SyntheticKind.EntityFile;
            node.Id = _entityMovedAway.TryGetValue(path, out var away) ? away.Version : ObjectId.Zero;
            node.Dirty = true; // saved at close even if nothing is written: an empty file is refused and kept, as any save
        }
        _entityLocal[node.Inode] = node;
        dir.Children[name] = node.Inode;
        ulong handle = _open.Add(node, true);
        return (Attributes(node), handle);
    }

    /// <summary>Deletes a scratch file (or an entity file created and never saved); an entity itself is not deleted here.</summary>
    private void UnlinkEntityFile(Node dir, string name)
    {
        var node = Child(dir, name);
        if (node.IsDirectory) throw new FsException(FsError.IsADirectory, node.Path);
        if (!_entityLocal.Remove(node.Inode))
            throw new FsException(FsError.NotPermitted, $"{node.Path}: an entity is not deleted through the mount");
        DropLocal(dir, node);
    }

    /// <summary>rename(2) inside .clive/entities: a save by rename, or an entity file moved aside as a backup.</summary>
    private void RenameEntityFile(Node from, string name, Node to, string newName, bool noReplace)
    {
        if (from.Synthetic != SyntheticKind.Entities || to.Synthetic != SyntheticKind.Entities)
            throw new FsException(FsError.NotPermitted, "files move in or out of .clive/entities only by being saved there");
        CheckName(to, newName);
        var node = Child(from, name);
        if (node.IsDirectory) throw new FsException(FsError.NotPermitted, $"{node.Path}: an entity directory is not renamed");
        Node? existing = to.Children!.TryGetValue(newName, out var existingInode) ? Get(existingInode) : null;
        if (existing == node) return;
        if (existing is not null && noReplace) throw new FsException(FsError.Exists, newName);
        if (existing is { IsDirectory: true }) throw new FsException(FsError.IsADirectory, existing.Path);
        var targetPath = Join(to.Path, newName);
        var entity = EntityNamed(targetPath);
        bool isEntityVersion = node.Synthetic == SyntheticKind.EntityFile && !_entityLocal.ContainsKey(node.Inode);
        if (isEntityVersion && entity is not null)
            throw new FsException(FsError.NotPermitted, $"{node.Path}: an entity is not renamed through the mount");
        if (existing is not null && _entityLocal.ContainsKey(existing.Inode)) DropLocal(to, existing);

        if (isEntityVersion)
        {
            // Renamed away (vim's backup): the file keeps its bytes under the new name, and the
            // entity's name is free for the file the editor writes next.
            _entityMovedAway[node.Path] = (node.Id, node.Inode);
            node.Dirty = false;
        }
        var baseVersion = existing is { Synthetic: SyntheticKind.EntityFile } shown && !_entityLocal.ContainsKey(shown.Inode) ? shown.Id
            : _entityMovedAway.TryGetValue(targetPath, out var away) ? away.Version
            : ObjectId.Zero;
        if (existing is not null) existing.Exists = false; // replaced, as on disk: its inode is the old file's
        from.Children!.Remove(name);
        _inodes.Move(node, to.Inode, Join(to.Path, newName), newName);
        to.Children[newName] = node.Inode;

        if (entity is null)
        {
            node.Synthetic = SyntheticKind.EntityScratch;
            _entityLocal[node.Inode] = node;
            return;
        }
        // A file renamed over an entity's name: its bytes are the save (sed -i, an IDE's atomic save).
        node.Synthetic = SyntheticKind.EntityFile;
        node.Id = baseVersion;
        node.Dirty = false;
        SaveEntity(node);
    }

    /// <summary>Makes an entity file's bytes a version (or keeps them aside); the next look shows the entity as it is then.</summary>
    private void SaveEntity(Node node)
    {
        node.Dirty = false;
        _entityLocal.Remove(node.Inode);
        _entityMovedAway.Remove(node.Path);
        ForgetBackup(node.Inode);
        _entities.Save(EntityView.EntityOf(node.Path, EntitiesPath), node.Content!.ToArray(), node.Id, Clive.Access.Principal.Owner.Name);
        node.Id = ObjectId.Zero;
    }

    private void DropLocal(Node dir, Node node)
    {
        _entityLocal.Remove(node.Inode);
        dir.Children!.Remove(node.Name);
        node.Exists = false;
        node.Dirty = false;
        // A backup deleted (vim, after writing the new file): its entity shows again, as it is now.
        ForgetBackup(node.Inode);
    }

    private void ForgetBackup(ulong inode)
    {
        foreach (var path in _entityMovedAway.Where(m => m.Value.Backup == inode).Select(m => m.Key).ToList()) _entityMovedAway.Remove(path);
    }

    private static bool IsEntityNode(Node node) => node.Synthetic is SyntheticKind.EntityFile or SyntheticKind.EntityScratch;
}
