using System.Text;
using Clive.Git;
using Clive.Packs;
using Clive.Store.Refs;

namespace Clive.Store.Overlay;

/// <summary>The result of committing an overlay: the commit, the id now at each path it wrote, and what it changed (nothing: the rows were spent).</summary>
public sealed record OverlayCommitResult(ObjectId Commit, ObjectId Tree, IReadOnlyDictionary<string, ObjectId> Ids, IReadOnlyList<OverlayEntry> Committed,
    IReadOnlyList<TreeChange> Changes);

/// <summary>
/// Turns a mount's pending edits into one commit on its ref: the base commit's tree with the
/// overlay applied (only the directories on changed paths are rebuilt), new objects written as one
/// pack, the ref compared-and-swapped from the base, and the committed overlay rows removed, all in
/// one transaction. Fails with <see cref="RefUpdateStatus.Stale"/> when the ref moved meanwhile.
/// </summary>
public static class OverlayCommit
{
    public static OverlayCommitResult? Commit(CliveStore store, string repo, string refName, ObjectId baseCommit,
        IReadOnlyList<OverlayEntry> entries, CommitIdentity identity, string who, out RefUpdateStatus status)
        => Commit(store, repo, refName, baseCommit, baseCommit, entries, identity, who, "clive-fs commit", out status);

    /// <summary>
    /// The general form: the commit's parent is <paramref name="baseCommit"/>, the ref moves from
    /// <paramref name="expectedRef"/> (zero: the ref is new), and the overlay rows are removed only
    /// when the ref is the one they belong to (<paramref name="baseCommit"/> == <paramref name="expectedRef"/>).
    /// </summary>
    public static OverlayCommitResult? Commit(CliveStore store, string repo, string refName, ObjectId baseCommit, ObjectId expectedRef,
        IReadOnlyList<OverlayEntry> entries, CommitIdentity identity, string who, string why, out RefUpdateStatus status)
    {
        status = RefUpdateStatus.Ok;
        if (entries.Count == 0) return null;
        var pack = new NewObjectsPack(keepTrees: true);
        var ids = new Dictionary<string, ObjectId>(StringComparer.Ordinal);
        var byParent = entries.GroupBy(e => Parent(e.Path)).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var touched = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in entries)
            for (var p = Parent(e.Path); ; p = Parent(p)) { touched.Add(p); if (p.Length == 0) break; }

        var baseTree = store.Objects.ReadCommit(baseCommit).Tree;
        var tree = Build("", baseTree, store, pack, ids, byParent, touched) ?? pack.Add(ObjectType.Tree, []);
        // A new directory that is still empty is not in the tree (git keeps none): its row stays
        // pending, so the directory survives until it holds something.
        var committed = entries.Where(e => e.Kind != OverlayKind.Directory || ids.ContainsKey(e.Path)).ToList();
        if (tree == baseTree)
        {
            // Nothing would change (an edit undone, a file made and removed): the rows are spent.
            // Left pending they would hide, and later revert, what others push to those paths.
            if (expectedRef == baseCommit && committed.Count > 0)
            {
                using var retire = store.BeginWrite();
                store.Overlay.RemoveCommitted(repo, refName, committed);
                retire.Commit();
                return new OverlayCommitResult(baseCommit, baseTree, ids, committed, []);
            }
            return null;
        }

        // The message names what the commit changes, not every row it took (a temp file renamed away, an empty directory).
        var changes = TreeChanges.Between(id => pack.TryGetTree(id, out var made) ? made : store.Objects.Read(id, ObjectType.Tree), baseTree, tree);
        var now = DateTimeOffset.Now;
        var commit = pack.Add(ObjectType.Commit, CommitWriter.Serialize(tree, [baseCommit],
            identity.AuthorAt(now), identity.CommitterAt(now), OverlayCommitMessage.For(changes)));

        using var transaction = store.BeginRefTransaction(who, why);
        transaction.Add(pack);
        var result = transaction.Update(repo, [new RefUpdate(refName, expectedRef, commit)], atomic: true)[0];
        status = result.Status;
        if (!result.Succeeded) return null;
        if (expectedRef == baseCommit) store.Overlay.RemoveCommitted(repo, refName, committed);
        transaction.Commit();
        return new OverlayCommitResult(commit, tree, ids, committed, changes);
    }

    /// <summary>Builds the tree at <paramref name="path"/>; null when it ends up empty (git keeps no empty trees).</summary>
    private static ObjectId? Build(string path, ObjectId? baseTree, CliveStore store, NewObjectsPack pack, Dictionary<string, ObjectId> ids,
        Dictionary<string, List<OverlayEntry>> byParent, HashSet<string> touched)
    {
        if (!touched.Contains(path)) return baseTree;
        var entries = new Dictionary<string, TreeEntry>(StringComparer.Ordinal);
        if (baseTree is { } b)
        {
            foreach (var e in TreeParser.Entries(store.Objects.Read(b, ObjectType.Tree)))
                entries[Encoding.UTF8.GetString(e.Name.Span)] = e;
        }
        var overlaid = byParent.TryGetValue(path, out var rows) ? rows : [];
        foreach (var row in overlaid)
        {
            var name = Name(row.Path);
            switch (row.Kind)
            {
                case OverlayKind.Deleted:
                    entries.Remove(name);
                    break;
                case OverlayKind.Directory:
                    // A new directory: nothing of any older one at this path shows through. A moved
                    // one: the tree it showed, with the rows below it applied.
                    var directory = Build(row.Path, row.Id, store, pack, ids, byParent, touched);
                    if (directory is { } made) ids[row.Path] = made;
                    Put(entries, name, TreeEntry.Directory, directory);
                    break;
                default:
                    var mode = row.Kind switch { OverlayKind.Executable => TreeEntry.ExecutableFile, OverlayKind.Symlink => TreeEntry.Symlink, _ => TreeEntry.RegularFile };
                    var blob = row.Id ?? pack.Add(ObjectType.Blob, row.Data ?? []);
                    ids[row.Path] = blob;
                    Put(entries, name, mode, blob);
                    break;
            }
        }
        var overlaidNames = overlaid.Select(r => Name(r.Path)).ToHashSet(StringComparer.Ordinal);
        // Rows below a directory that neither the base tree nor a row provides (its parent was
        // deleted upstream, or a new directory was committed while empty): make it.
        var implied = new HashSet<string>(StringComparer.Ordinal);
        foreach (var child in touched.Where(t => t.Length > 0 && Parent(t) == path))
        {
            var name = Name(child);
            if (!entries.ContainsKey(name) && !overlaidNames.Contains(name))
            {
                Put(entries, name, TreeEntry.Directory, Build(child, null, store, pack, ids, byParent, touched));
                implied.Add(name);
            }
        }
        // Base subdirectories with changes somewhere below them are rebuilt; the rest keep their ids.
        // Those just made are complete already (and only in the new pack, not yet in the store).
        foreach (var (name, entry) in entries.ToList())
        {
            var child = path.Length == 0 ? name : path + "/" + name;
            if (entry.IsTree && !overlaidNames.Contains(name) && !implied.Contains(name) && touched.Contains(child))
                Put(entries, name, TreeEntry.Directory, Build(child, entry.Id, store, pack, ids, byParent, touched));
        }
        if (entries.Count == 0) return null;
        var tree = pack.Add(ObjectType.Tree, TreeWriter.Serialize(entries.Values));
        ids[path] = tree;
        return tree;
    }

    private static void Put(Dictionary<string, TreeEntry> entries, string name, int mode, ObjectId? id)
    {
        if (id is { } value) entries[name] = new TreeEntry(mode, Encoding.UTF8.GetBytes(name), value);
        else entries.Remove(name);
    }

    public static string Parent(string path) => path.LastIndexOf('/') is var i and >= 0 ? path[..i] : "";

    public static string Name(string path) => path[(path.LastIndexOf('/') + 1)..];
}
