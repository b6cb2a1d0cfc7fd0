using System.Text;

namespace Clive.Git;

/// <summary>How a path differs between two trees, in the words of <c>git status</c>.</summary>
public enum TreeChangeKind { Added, Modified, Deleted, Renamed }

/// <summary>One changed path; <see cref="OldPath"/> is set for a rename.</summary>
public sealed record TreeChange(TreeChangeKind Kind, string Path, string? OldPath = null)
{
    public override string ToString() => Kind switch
    {
        TreeChangeKind.Added => "new file:   " + Path,
        TreeChangeKind.Modified => "modified:   " + Path,
        TreeChangeKind.Deleted => "deleted:    " + Path,
        _ => $"renamed:    {OldPath} -> {Path}",
    };
}

/// <summary>
/// The files that differ between two trees, as git's status names them: a path per file (never a
/// directory), a mode change counted as a modification, and a file deleted at one path and added
/// with the same content and mode at another paired as a rename (git's exact-rename detection).
/// Subtrees with the same id are not opened.
/// </summary>
public static class TreeChanges
{
    public static IReadOnlyList<TreeChange> Between(Func<ObjectId, byte[]> readTree, ObjectId? oldTree, ObjectId? newTree)
    {
        var added = new List<(string Path, TreeEntry Entry)>();
        var deleted = new List<(string Path, TreeEntry Entry)>();
        var modified = new List<string>();
        Compare(readTree, "", oldTree, newTree, added, deleted, modified);

        var changes = modified.Select(p => new TreeChange(TreeChangeKind.Modified, p)).ToList();
        var deletedByContent = deleted.GroupBy(d => (d.Entry.Mode, d.Entry.Id)).ToDictionary(g => g.Key, g => new Queue<string>(g.Select(d => d.Path)));
        var renamedFrom = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (path, entry) in added)
        {
            if (deletedByContent.TryGetValue((entry.Mode, entry.Id), out var sources) && sources.TryDequeue(out var source))
            {
                renamedFrom.Add(source);
                changes.Add(new TreeChange(TreeChangeKind.Renamed, path, source));
            }
            else changes.Add(new TreeChange(TreeChangeKind.Added, path));
        }
        changes.AddRange(deleted.Where(d => !renamedFrom.Contains(d.Path)).Select(d => new TreeChange(TreeChangeKind.Deleted, d.Path)));
        return changes.OrderBy(c => c.Path, StringComparer.Ordinal).ToList();
    }

    private static void Compare(Func<ObjectId, byte[]> readTree, string path, ObjectId? oldTree, ObjectId? newTree,
        List<(string, TreeEntry)> added, List<(string, TreeEntry)> deleted, List<string> modified)
    {
        if (oldTree == newTree) return;
        var before = Entries(readTree, oldTree);
        var after = Entries(readTree, newTree);
        foreach (var name in before.Keys.Union(after.Keys).Order(StringComparer.Ordinal))
        {
            var child = path.Length == 0 ? name : path + "/" + name;
            before.TryGetValue(name, out var old);
            after.TryGetValue(name, out var now);
            bool wasTree = old.Name.Length > 0 && old.IsTree, isTree = now.Name.Length > 0 && now.IsTree;
            if (wasTree || isTree)
            {
                // A directory on either side is compared entry by entry; a file on the other side
                // is one more deletion or addition.
                Compare(readTree, child, wasTree ? old.Id : null, isTree ? now.Id : null, added, deleted, modified);
                if (!wasTree && old.Name.Length > 0) deleted.Add((child, old));
                if (!isTree && now.Name.Length > 0) added.Add((child, now));
            }
            else if (old.Name.Length == 0) added.Add((child, now));
            else if (now.Name.Length == 0) deleted.Add((child, old));
            else if (old.Id != now.Id || old.Mode != now.Mode) modified.Add(child);
        }
    }

    private static Dictionary<string, TreeEntry> Entries(Func<ObjectId, byte[]> readTree, ObjectId? tree)
        => tree is { } id
            ? TreeParser.Entries(readTree(id)).ToDictionary(e => Encoding.UTF8.GetString(e.Name.Span), StringComparer.Ordinal)
            : new Dictionary<string, TreeEntry>(StringComparer.Ordinal);
}
