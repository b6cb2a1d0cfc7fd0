using Clive.Git;
using Clive.Store.Objects;

namespace Clive.Transfer;

/// <summary>What a fetch must send: objects in an order that puts commits first, and the new shallow boundary.</summary>
public sealed record WalkResult(List<ObjectId> Objects, HashSet<ObjectId> Shallow, HashSet<ObjectId> Unshallow, HashSet<ObjectId> ClientHas);

/// <summary>
/// Finds the objects reachable from the wants and not from the haves, as <c>git rev-list --objects
/// wants --not haves</c> does: a walk by commit date that stops once every commit left is one the
/// client has, then the trees of the new commits minus the trees of the boundary commits.
/// </summary>
public sealed class ObjectWalk(ObjectDatabase objects)
{
    private readonly Dictionary<ObjectId, CommitInfo> _commits = [];

    /// <param name="clientShallow">Commits the client has without their parents.</param>
    public WalkResult Run(IReadOnlyCollection<ObjectId> wants, IReadOnlyCollection<ObjectId> haves, int depth,
        IReadOnlySet<ObjectId> clientShallow, Action<string>? progress)
    {
        var result = new List<ObjectId>();
        var added = new HashSet<ObjectId>();
        var wantCommits = new List<ObjectId>();

        // Peel wanted tags: the tag objects are sent, and what they point at is wanted too.
        foreach (var want in wants)
        {
            var id = want;
            while (true)
            {
                if (!objects.TryLocate(id, out var location)) throw new CliveException($"object {id} is missing from the store");
                if (location.Type == ObjectType.Commit) { wantCommits.Add(id); break; }
                if (added.Add(id)) result.Add(id);
                if (location.Type != ObjectType.Tag) break;
                id = TagParser.Parse(objects.Read(id, ObjectType.Tag)).Target;
            }
        }

        var shallow = new HashSet<ObjectId>();
        var unshallow = new HashSet<ObjectId>();
        var (interesting, boundary) = depth > 0
            ? WalkShallow(wantCommits, haves, depth, clientShallow, shallow, unshallow)
            : WalkCommits(wantCommits, haves);

        // Everything reachable from the boundary's trees is the client's already.
        var clientHas = new HashSet<ObjectId>();
        foreach (var commit in boundary) MarkTree(Commit(commit).Tree, clientHas);

        var meter = Clive.Progress.ProgressMeter.Start("Enumerating objects", 0, progress);
        foreach (var commit in interesting)
        {
            if (added.Add(commit)) result.Add(commit);
            meter?.Report(result.Count);
        }
        foreach (var commit in interesting)
        {
            AddTree(Commit(commit).Tree, clientHas, added, result);
            meter?.Report(result.Count);
        }
        meter?.Report(result.Count);
        meter?.Done();
        return new WalkResult(result, shallow, unshallow, clientHas);
    }

    public CommitInfo Commit(ObjectId id)
    {
        if (!_commits.TryGetValue(id, out var info))
            _commits[id] = info = objects.ReadCommit(id);
        return info;
    }

    private (List<ObjectId> Interesting, HashSet<ObjectId> Boundary) WalkCommits(List<ObjectId> wants, IReadOnlyCollection<ObjectId> haves)
    {
        var uninteresting = new HashSet<ObjectId>();
        var seen = new HashSet<ObjectId>();
        var queue = new PriorityQueue<ObjectId, long>();
        int interestingInQueue = 0;

        foreach (var have in haves)
        {
            if (!objects.TryLocate(have, out var location) || location.Type != ObjectType.Commit) continue;
            uninteresting.Add(have);
            if (seen.Add(have)) queue.Enqueue(have, -Commit(have).CommitTime);
        }
        foreach (var want in wants)
        {
            if (seen.Add(want))
            {
                queue.Enqueue(want, -Commit(want).CommitTime);
                if (!uninteresting.Contains(want)) interestingInQueue++;
            }
        }

        var interesting = new List<ObjectId>();
        // Newest first; stop when only commits the client has are left to look at.
        while (interestingInQueue > 0 && queue.TryDequeue(out var id, out _))
        {
            bool isUninteresting = uninteresting.Contains(id);
            if (!isUninteresting) interestingInQueue--;
            var info = Commit(id);
            if (!isUninteresting) interesting.Add(id);
            foreach (var parent in info.Parents)
            {
                if (isUninteresting) MarkUninteresting(parent, uninteresting);
                if (!seen.Add(parent)) continue;
                queue.Enqueue(parent, -Commit(parent).CommitTime);
                if (!uninteresting.Contains(parent)) interestingInQueue++;
            }
        }

        // A commit found interesting may have turned out to be the client's through an older path.
        interesting.RemoveAll(uninteresting.Contains);
        var boundary = new HashSet<ObjectId>();
        foreach (var id in interesting)
            foreach (var parent in Commit(id).Parents)
                if (uninteresting.Contains(parent)) boundary.Add(parent);
        return (interesting, boundary);
    }

    private void MarkUninteresting(ObjectId id, HashSet<ObjectId> uninteresting)
    {
        // Propagate through commits already parsed, so that the filter above catches them.
        var stack = new Stack<ObjectId>();
        stack.Push(id);
        while (stack.TryPop(out var next))
        {
            if (!uninteresting.Add(next)) continue;
            if (_commits.TryGetValue(next, out var info))
                foreach (var parent in info.Parents) stack.Push(parent);
        }
    }

    /// <summary>
    /// A walk limited to <paramref name="depth"/> commits from the wants. A commit the client has
    /// stops it, unless the client has it shallow: then the walk goes on into its parents, and
    /// the client is told the commit is shallow no more.
    /// </summary>
    private (List<ObjectId> Interesting, HashSet<ObjectId> Boundary) WalkShallow(List<ObjectId> wants, IReadOnlyCollection<ObjectId> haves,
        int depth, IReadOnlySet<ObjectId> clientShallow, HashSet<ObjectId> shallow, HashSet<ObjectId> unshallow)
    {
        var have = haves.ToHashSet();
        var interesting = new List<ObjectId>();
        var boundary = new HashSet<ObjectId>();
        var seen = new HashSet<ObjectId>();
        var level = wants.Where(seen.Add).ToList();
        for (int d = 1; level.Count > 0; d++)
        {
            var next = new List<ObjectId>();
            foreach (var id in level)
            {
                bool clientHasIt = have.Contains(id) || clientShallow.Contains(id);
                if (clientHasIt) boundary.Add(id);
                if (clientHasIt && !clientShallow.Contains(id)) continue;
                if (!clientHasIt) interesting.Add(id);
                var info = Commit(id);
                if (d >= depth)
                {
                    if (info.Parents.Count > 0 && !clientShallow.Contains(id)) shallow.Add(id);
                    continue;
                }
                if (clientShallow.Contains(id) && info.Parents.Count > 0) unshallow.Add(id);
                next.AddRange(info.Parents.Where(p => seen.Add(p)));
            }
            level = next;
        }
        return (interesting, boundary);
    }

    // Tree walks keep their own stack: a tree may nest far deeper than a thread's stack allows
    // (one crafted push of d/d/…/d), and a recursive walk would take the server down on clone.

    private void MarkTree(ObjectId root, HashSet<ObjectId> marked)
    {
        var pending = new Stack<ObjectId>();
        pending.Push(root);
        while (pending.TryPop(out var tree))
        {
            if (!marked.Add(tree)) continue;
            foreach (var entry in TreeParser.Entries(objects.Read(tree, ObjectType.Tree)))
            {
                if (entry.IsTree) pending.Push(entry.Id);
                else if (!entry.IsGitlink) marked.Add(entry.Id);
            }
        }
    }

    /// <summary>Adds a tree and what is below it depth-first, entries in tree order: the order the pack is written in.</summary>
    private void AddTree(ObjectId root, HashSet<ObjectId> clientHas, HashSet<ObjectId> added, List<ObjectId> result)
    {
        if (clientHas.Contains(root) || !added.Add(root)) return;
        result.Add(root);
        var open = new Stack<IEnumerator<TreeEntry>>();
        open.Push(Entries(root));
        while (open.TryPeek(out var entries))
        {
            if (!entries.MoveNext())
            {
                open.Pop().Dispose();
                continue;
            }
            var entry = entries.Current;
            if (entry.IsGitlink || clientHas.Contains(entry.Id) || !added.Add(entry.Id)) continue;
            result.Add(entry.Id);
            if (entry.IsTree) open.Push(Entries(entry.Id));
        }
    }

    private IEnumerator<TreeEntry> Entries(ObjectId tree) => TreeParser.Entries(objects.Read(tree, ObjectType.Tree)).GetEnumerator();
}
