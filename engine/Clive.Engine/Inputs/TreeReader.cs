using System.Text;
using Clive.Git;
using Clive.Store;

namespace Clive.Engine.Inputs;

/// <summary>A file of a tree, by its path from the root.</summary>
public readonly record struct FileEntry(string Path, int Mode, ObjectId Id);

/// <summary>
/// Reads trees of the store by path, keeping parsed trees by id: committed trees never change, so
/// an evaluation after a one-file change re-reads only the directories on that file's path.
/// Not thread-safe; the engine reads the store from one thread at a time.
/// </summary>
public sealed class TreeReader(CliveStore store)
{
    private const int MaxCachedTrees = 200_000;
    private readonly Dictionary<ObjectId, Dictionary<string, TreeEntry>> _trees = [];

    public CliveStore Store => store;

    public IReadOnlyDictionary<string, TreeEntry> Entries(ObjectId tree)
    {
        if (_trees.TryGetValue(tree, out var entries)) return entries;
        if (_trees.Count >= MaxCachedTrees) _trees.Clear();
        entries = new Dictionary<string, TreeEntry>(StringComparer.Ordinal);
        foreach (var entry in TreeParser.Entries(store.Objects.Read(tree, ObjectType.Tree)))
            entries[Encoding.UTF8.GetString(entry.Name.Span)] = entry;
        _trees[tree] = entries;
        return entries;
    }

    /// <summary>The entry at <paramref name="path"/> below <paramref name="root"/>; "" is the root itself.</summary>
    public TreeEntry? Find(ObjectId root, string path)
    {
        var current = new TreeEntry(TreeEntry.Directory, default, root);
        if (path.Length == 0) return current;
        foreach (var part in path.Split('/'))
        {
            if (!current.IsTree || !Entries(current.Id).TryGetValue(part, out current)) return null;
        }
        return current;
    }

    /// <summary>Every file (blobs and symlinks; not submodules) below a tree, in path order.</summary>
    public IEnumerable<FileEntry> Files(ObjectId tree, string prefix)
    {
        foreach (var (name, entry) in Entries(tree).OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            var path = prefix.Length == 0 ? name : prefix + "/" + name;
            if (entry.IsTree)
            {
                foreach (var file in Files(entry.Id, path)) yield return file;
            }
            else if (!entry.IsGitlink)
            {
                yield return new FileEntry(path, entry.Mode, entry.Id);
            }
        }
    }

    public ObjectId TreeOfCommit(ObjectId commit) => store.Objects.ReadCommit(commit).Tree;
}
