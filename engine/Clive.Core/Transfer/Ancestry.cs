using Clive.Git;
using Clive.Store.Objects;

namespace Clive.Transfer;

/// <summary>Whether one commit is an ancestor of another: the fast-forward question.</summary>
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
}
