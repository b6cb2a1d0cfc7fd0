using Clive.Git;
using Clive.Store.Objects;

namespace Clive.Transfer;

/// <summary>
/// Adds the trees and blobs below commits (or wanted trees) to a fetch, depth-first in tree order
/// (the order the pack is written in), leaving out what the client has and what its filter says.
/// With a filter that depends on depth (<c>tree:N</c>), a tree met again nearer the root is walked
/// again, as git does: an object goes when its smallest depth lets it.
/// </summary>
internal sealed class TreeLister(ObjectDatabase objects, ObjectFilter? filter, HashSet<ObjectId> clientHas, HashSet<ObjectId> added, List<ObjectId> result)
{
    private readonly HashSet<ObjectId> _opened = [];
    private readonly Dictionary<ObjectId, int> _openedAtDepth = [];

    /// <summary>A commit's root tree and what is below it.</summary>
    public void Add(ObjectId root)
    {
        if (clientHas.Contains(root) || !Open(root, 0)) return;
        Include(root, filter?.IncludesTree(0) != false);
        if (filter?.MayIncludeBelow(0) != false) Walk(root);
    }

    /// <summary>What is below a tree the client asked for by name (the tree itself is already sent).</summary>
    public void AddBelow(ObjectId wanted)
    {
        if (Open(wanted, 0) && filter?.MayIncludeBelow(0) != false) Walk(wanted);
    }

    private void Walk(ObjectId root)
    {
        var open = new Stack<(IEnumerator<TreeEntry> Entries, int Depth)>();
        open.Push((Entries(root), 1));
        while (open.TryPeek(out var top))
        {
            if (!top.Entries.MoveNext())
            {
                open.Pop().Entries.Dispose();
                continue;
            }
            var entry = top.Entries.Current;
            if (entry.IsGitlink || clientHas.Contains(entry.Id)) continue;
            int depth = top.Depth;
            if (entry.IsTree)
            {
                if (!Open(entry.Id, depth)) continue;
                Include(entry.Id, filter?.IncludesTree(depth) != false);
                if (filter?.MayIncludeBelow(depth) != false) open.Push((Entries(entry.Id), depth + 1));
            }
            else if (!added.Contains(entry.Id))
            {
                Include(entry.Id, filter is null || filter.IncludesBlob(filter.NeedsBlobSize ? objects.SizeOf(entry.Id) : 0, depth));
            }
        }
    }

    /// <summary>Whether to look inside a tree met at this depth: once, or again when met nearer the root.</summary>
    private bool Open(ObjectId tree, int depth)
    {
        if (filter?.DependsOnDepth != true) return _opened.Add(tree);
        if (_openedAtDepth.TryGetValue(tree, out var before) && before <= depth) return false;
        _openedAtDepth[tree] = depth;
        return true;
    }

    private void Include(ObjectId id, bool included)
    {
        if (included && added.Add(id)) result.Add(id);
    }

    private IEnumerator<TreeEntry> Entries(ObjectId tree) => TreeParser.Entries(objects.Read(tree, ObjectType.Tree)).GetEnumerator();
}
