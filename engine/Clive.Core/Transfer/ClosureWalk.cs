using Clive.Git;
using Clive.Store.Objects;

namespace Clive.Transfer;

/// <summary>
/// Adds to a bitmap everything some objects reach, as <c>git rev-list --objects</c> lists it,
/// without walking what the bitmap already holds or what a saved bitmap answers. The bitmap
/// given must be closed (whatever it holds, it holds all that reaches): a commit or tree found
/// set is then not opened again. A saved bitmap is used only for a commit the walk has reached
/// from the starting objects, so the answer is exactly their closure, never more: a saved bitmap
/// of a hidden branch's commit cannot be reached from the refs a client may read.
/// </summary>
internal sealed class ClosureWalk(ObjectDatabase objects, ObjectNumbering numbering, Func<ObjectId, ReachBitmap?> saved)
{
    public int CommitsWalked { get; private set; }
    public int TreesOpened { get; private set; }

    public void Extend(ReachBitmap bits, IEnumerable<ObjectId> starts)
    {
        // Newest first, like git's walk: a saved bitmap at a newer commit is met before the older
        // commits it already holds would be walked one by one.
        var queue = new PriorityQueue<(ObjectId Id, CommitInfo Info), long>();
        var trees = new List<ObjectId>();
        foreach (var start in starts) Start(start, bits, queue, trees);
        while (queue.TryDequeue(out var next, out _))
        {
            if (bits.Get(Number(next.Id))) continue;
            if (saved(next.Id) is { } bitmap)
            {
                bits.Or(bitmap);
                continue;
            }
            bits.Set(Number(next.Id));
            CommitsWalked++;
            trees.Add(next.Info.Tree);
            foreach (var parent in next.Info.Parents)
            {
                if (bits.Get(Number(parent))) continue;
                var info = objects.ReadCommit(parent);
                queue.Enqueue((parent, info), -info.CommitTime);
            }
        }
        foreach (var tree in trees) MarkTree(tree, bits);
    }

    private void Start(ObjectId id, ReachBitmap bits, PriorityQueue<(ObjectId, CommitInfo), long> queue, List<ObjectId> trees)
    {
        // A tag is in the closure with what it names, peeled as far as it goes.
        while (true)
        {
            if (!objects.TryLocate(id, out var location)) throw Missing(id);
            switch (location.Type)
            {
                case ObjectType.Commit:
                    var info = objects.ReadCommit(id);
                    queue.Enqueue((id, info), -info.CommitTime);
                    return;
                case ObjectType.Tag:
                    if (!bits.Set(Number(id))) return;
                    id = TagParser.Parse(objects.Read(id, ObjectType.Tag)).Target;
                    break;
                case ObjectType.Tree:
                    trees.Add(id);
                    return;
                default:
                    bits.Set(Number(id));
                    return;
            }
        }
    }

    // Its own stack, not recursion: a crafted tree may nest deeper than a thread's stack allows.
    private void MarkTree(ObjectId root, ReachBitmap bits)
    {
        var pending = new Stack<ObjectId>();
        pending.Push(root);
        while (pending.TryPop(out var tree))
        {
            if (!bits.Set(Number(tree))) continue;
            TreesOpened++;
            foreach (var entry in TreeParser.Entries(objects.Read(tree, ObjectType.Tree)))
            {
                if (entry.IsGitlink) continue; // a submodule's commit lives in another repository
                if (entry.IsTree) pending.Push(entry.Id);
                else bits.Set(Number(entry.Id));
            }
        }
    }

    private int Number(ObjectId id) => numbering.TryGetNumber(id, out int number) ? number : throw Missing(id);

    private static CliveException Missing(ObjectId id) => new($"object {id} is missing from the store");
}
