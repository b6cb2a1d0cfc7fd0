using System.Text;
using Clive.Git;
using Clive.Store.Overlay;

namespace Clive.Fs;

/// <summary>
/// The ref moving under the mount (a push) and the mount's own commits: the overlay applies on
/// whatever commit the ref is at now, and an edit the ref changed too is set aside on a conflict
/// branch, never dropped.
/// </summary>
public sealed partial class MountedTree
{
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
            var root = _inodes.Root;
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
            var baseTree = _inodes.Root.Id;
            // Saved rows only; ignore rules hold for untracked paths only, as in git.
            var entries = _overlay.Rows
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
        var conflicting = _overlay.Rows.Where(e => (e.Base ?? oldCommit) == oldCommit && Lookup(oldTree, e.Path) != Lookup(newTree, e.Path)).ToList();
        if (conflicting.Count == 0) return;
        var why = $"{string.Join(", ", conflicting.Select(e => e.Path))} changed on {RefName} too";
        if (!SetAside(_overlay.Rows.Where(e => e.Version > 0).OrderBy(e => e.Path, StringComparer.Ordinal).ToList(), oldCommit, why)
            && conflicting.Any(e => e.Version > 0 && !IsNoOp(oldTree, e))) return; // could not set them aside: keep them rather than lose them
        _overlay.Delete(conflicting);
        foreach (var e in conflicting)
        {
            _overlay.Forget(e.Path);
            if (_inodes.TryGetByPath(e.Path, out var node)) node.Overlaid = true; // re-read from the new tree
        }
    }

    /// <summary>The rows that survived a ref move now stand on the new commit, in memory and on disk.</summary>
    private void Rebase()
    {
        var moved = _overlay.Rows.Where(e => e.Version > 0 && e.Base != CommitId).Select(e => e with { Base = CommitId }).ToList();
        if (moved.Count == 0) return;
        foreach (var e in moved) _overlay.Remember(e);
        _overlay.Persist(moved);
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
            if (_overlay.TryGet(entry.Path, out var current) && current.Version == entry.Version) _overlay.Forget(entry.Path);
        }
        foreach (var (path, id) in commit.Ids)
        {
            if (_inodes.TryGetByPath(path, out var node) && node.Exists && !_overlay.Contains(path))
            {
                node.Id = id;
                node.Overlaid = false;
                node.Opaque = false;
            }
        }
        _inodes.Root.Id = commit.Tree;
        CommitId = commit.Commit;
    }
}
