using Clive.Git;
using Clive.Store.Objects;

namespace Clive.Transfer;

/// <summary>How two commits are related: whether one is an ancestor of the other (the fast-forward question), and what they share.</summary>
public static class Ancestry
{
    public static bool IsAncestor(ObjectDatabase objects, ObjectId ancestor, ObjectId descendant)
    {
        if (ancestor == descendant) return true;
        if (!objects.TryLocate(ancestor, out var a) || a.Type != ObjectType.Commit) return false;
        if (!objects.TryLocate(descendant, out var d) || d.Type != ObjectType.Commit) return false;
        long ancestorTime = objects.ReadCommit(ancestor).CommitTime;
        // Newest first; a branch older than the ancestor (less a day of clock skew) cannot lead to it.
        var queue = new PriorityQueue<ObjectId, long>();
        var seen = new HashSet<ObjectId> { descendant };
        queue.Enqueue(descendant, -objects.ReadCommit(descendant).CommitTime);
        while (queue.TryDequeue(out var id, out long negativeTime))
        {
            if (id == ancestor) return true;
            if (-negativeTime < ancestorTime - 86_400) continue;
            foreach (var parent in objects.ReadCommit(id).Parents)
            {
                if (seen.Add(parent) && objects.TryLocate(parent, out _))
                    queue.Enqueue(parent, -objects.ReadCommit(parent).CommitTime);
            }
        }
        return false;
    }

    /// <summary>A common ancestor of two commits: the nearest of <paramref name="theirs"/>' ancestors that is also one of <paramref name="ours"/>; null when they share none the store holds.</summary>
    public static ObjectId? MergeBase(ObjectDatabase objects, ObjectId ours, ObjectId theirs)
    {
        var ourAncestors = Lineage(objects, ours).ToHashSet();
        return Lineage(objects, theirs).Cast<ObjectId?>().FirstOrDefault(id => ourAncestors.Contains(id!.Value));
    }

    /// <summary>A commit and its ancestors, breadth first (nearest first), as far as the store holds them.</summary>
    private static IEnumerable<ObjectId> Lineage(ObjectDatabase objects, ObjectId start)
    {
        var seen = new HashSet<ObjectId> { start };
        var queue = new Queue<ObjectId>([start]);
        while (queue.TryDequeue(out var id))
        {
            yield return id;
            if (!objects.Contains(id)) continue;
            foreach (var parent in objects.ReadCommit(id).Parents)
                if (seen.Add(parent)) queue.Enqueue(parent);
        }
    }
}
