using Clive.Git;

namespace Clive.Packs;

/// <summary>
/// How deeply the trees of a received pack nest. A tree nested 100,000 directories deep is a
/// valid object, but every recursive reader (git's own checkout among them) runs out of stack on
/// it; git caps walks at <c>core.maxTreeDepth</c> (4096), and clive refuses such trees at the door.
/// Subtrees are kept as indices (4 bytes an edge), not ids, because a big pack has many.
/// </summary>
/// <remarks>
/// Only nesting within the pack is counted: a subtree the store already has counts as one level,
/// since measuring it would walk the stored tree on every push. Stacking pushes can therefore
/// build deeper trees; the store's walks are iterative so that those cannot crash it either.
/// </remarks>
internal sealed class TreeDepth
{
    /// <summary>git's default <c>core.maxTreeDepth</c>.</summary>
    public const int MaxDepth = 4096;

    private readonly Dictionary<ObjectId, int> _index = [];
    private readonly List<ObjectId> _ids = [];
    private readonly List<int[]?> _subtrees = [];

    public void AddTree(ObjectId tree, List<ObjectId> subtrees)
    {
        int self = IndexOf(tree);
        var children = new int[subtrees.Count];
        for (int i = 0; i < children.Length; i++) children[i] = IndexOf(subtrees[i]);
        _subtrees[self] = children;
    }

    private int IndexOf(ObjectId id)
    {
        if (_index.TryGetValue(id, out int i)) return i;
        _index[id] = i = _ids.Count;
        _ids.Add(id);
        _subtrees.Add(null);
        return i;
    }

    /// <summary>Refuses a pack holding a tree with more than <see cref="MaxDepth"/> levels.</summary>
    public void Check()
    {
        // Heights by an explicit-stack post-order walk: a recursive one would be the very crash this prevents.
        var height = new int[_ids.Count];
        var stack = new Stack<(int Tree, int Next)>();
        for (int root = 0; root < height.Length; root++)
        {
            if (height[root] != 0) continue;
            stack.Push((root, 0));
            while (stack.TryPop(out var frame))
            {
                var children = _subtrees[frame.Tree] ?? [];
                if (frame.Next < children.Length)
                {
                    stack.Push((frame.Tree, frame.Next + 1));
                    int child = children[frame.Next];
                    if (height[child] == 0) stack.Push((child, 0));
                    continue;
                }
                int h = 1;
                foreach (int child in children) h = Math.Max(h, height[child] + 1);
                if (h > MaxDepth)
                    throw new InvalidObjectException($"tree {_ids[frame.Tree]} nests more than {MaxDepth} directories deep (git's core.maxTreeDepth)");
                height[frame.Tree] = h;
            }
        }
    }
}
