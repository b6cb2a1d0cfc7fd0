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
    /// <remarks>
    /// Walked with its own stack, not by recursion: a pushed tree may nest deeper than the thread's
    /// stack. Directory names are kept as segments and joined only for a file, so a deep tree
    /// costs no string per level.
    /// </remarks>
    public IEnumerable<FileEntry> Files(ObjectId tree, string prefix)
    {
        var open = new Stack<IEnumerator<KeyValuePair<string, TreeEntry>>>();
        var names = new List<string>();
        if (prefix.Length > 0) names.Add(prefix);
        open.Push(Ordered(tree));
        try
        {
            while (open.TryPeek(out var entries))
            {
                if (!entries.MoveNext())
                {
                    open.Pop().Dispose();
                    if (open.Count > 0) names.RemoveAt(names.Count - 1);
                    continue;
                }
                var (name, entry) = entries.Current;
                if (entry.IsTree)
                {
                    names.Add(name);
                    open.Push(Ordered(entry.Id));
                }
                else if (!entry.IsGitlink)
                {
                    names.Add(name);
                    var path = string.Join('/', names);
                    names.RemoveAt(names.Count - 1);
                    yield return new FileEntry(path, entry.Mode, entry.Id);
                }
            }
        }
        finally
        {
            while (open.TryPop(out var entries)) entries.Dispose();
        }
    }

    private IEnumerator<KeyValuePair<string, TreeEntry>> Ordered(ObjectId tree)
        => Entries(tree).OrderBy(e => e.Key, StringComparer.Ordinal).GetEnumerator();

    public ObjectId TreeOfCommit(ObjectId commit) => store.Objects.ReadCommit(commit).Tree;
}
