using System.Text;
using Clive.Git;
using Clive.Store.Cells;

namespace Clive.Fs;

/// <summary>
/// The .clive/ directory: the mount's status, other branches (.clive/refs/), any commit by id
/// (.clive/commits/&lt;id&gt;/) and the engine's results (.clive/cells/). Read-only views made up afresh
/// on each listing, since refs move and the status changes without the kernel being told.
/// </summary>
public sealed partial class MountedTree
{
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
                var baseTree = _inodes.Root.Id;
                int keptOut = _overlay.Rows.Count(e => KeptOutOfCommits(e, ignored, baseTree));
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
        var node = _inodes.ForPath(RootInode, CliveDirectory, CliveDirectory);
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
        var node = _inodes.ForPath(parent.Inode, Join(parent.Path, name), name);
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
        var node = _inodes.ForPath(commits.Inode, Join(commits.Path, name), name);
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
                    var leaf = _inodes.ForPath(dir.Inode, Join(dir.Path, rest), rest);
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
}
