using Clive.Git;
using Clive.Store.Objects;

namespace Clive.Transfer;

/// <summary>What a fetch must send: objects in an order that puts commits first, and the new shallow boundary.</summary>
public sealed record WalkResult(List<ObjectId> Objects, HashSet<ObjectId> Shallow, HashSet<ObjectId> Unshallow, HashSet<ObjectId> ClientHas);

/// <summary>
/// Finds the objects reachable from the wants and not from the haves, as <c>git rev-list --objects
/// wants --not haves</c> does: a walk by commit date that stops once every commit left is one the
/// client has, then the trees of the new commits minus the trees of the boundary commits. Commits
/// on the shallow boundary (new, or the client's own) are walked as if they had no parents, as git
/// registers them; a partial clone's filter (<see cref="ObjectFilter"/>) leaves trees and blobs out.
/// </summary>
public sealed class ObjectWalk(ObjectDatabase objects)
{
    private readonly Dictionary<ObjectId, CommitInfo> _commits = [];
    private IReadOnlySet<ObjectId> _cut = new HashSet<ObjectId>();

    public WalkResult Run(IReadOnlyCollection<ObjectId> wants, IReadOnlyCollection<ObjectId> haves, Action<string>? progress)
        => Run(wants, haves, ShallowRequest.None, null, progress);

    public WalkResult Run(IReadOnlyCollection<ObjectId> wants, IReadOnlyCollection<ObjectId> haves, ShallowRequest shallowRequest,
        ObjectFilter? filter, Action<string>? progress)
    {
        var result = new List<ObjectId>();
        var added = new HashSet<ObjectId>();
        var wantCommits = new List<ObjectId>();
        var wantTrees = new List<ObjectId>();

        // Peel wanted tags: the tag objects are sent, and what they point at is wanted too. What
        // the client names is sent whatever the filter: that is how it fetches what it left out.
        foreach (var want in wants)
        {
            var id = want;
            while (true)
            {
                if (!objects.TryLocate(id, out var location)) throw new CliveException($"object {id} is missing from the store");
                if (location.Type == ObjectType.Commit) { wantCommits.Add(id); break; }
                if (added.Add(id)) result.Add(id);
                if (location.Type == ObjectType.Tree) wantTrees.Add(id);
                if (location.Type != ObjectType.Tag) break;
                id = TagParser.Parse(objects.Read(id, ObjectType.Tag)).Target;
            }
        }

        var boundary = new ShallowBoundary(Commit).Compute(wantCommits, shallowRequest);
        // The client's shallow commits and the new boundary stand without parents; a commit that
        // becomes unshallow is the client's, and its parents are wanted.
        _cut = boundary.Shallow.Concat(shallowRequest.ClientShallow).ToHashSet();
        var walkWants = wantCommits.Concat(boundary.Unshallow.SelectMany(id => Commit(id).Parents)).Distinct().ToList();
        var (interesting, edge) = WalkCommits(walkWants, haves.Concat(boundary.Unshallow).ToList());

        // Everything reachable from the edge's trees is the client's already.
        var clientHas = new HashSet<ObjectId>();
        foreach (var commit in edge) MarkTree(Commit(commit).Tree, clientHas);

        var meter = Clive.Progress.ProgressMeter.Start("Enumerating objects", 0, progress);
        if (filter?.IncludesCommit != false)
        {
            foreach (var commit in interesting)
            {
                if (added.Add(commit)) result.Add(commit);
                meter?.Report(result.Count);
            }
        }
        var trees = new TreeLister(objects, filter, clientHas, added, result);
        foreach (var tree in wantTrees) trees.AddBelow(tree);
        foreach (var commit in interesting)
        {
            trees.Add(Commit(commit).Tree);
            meter?.Report(result.Count);
        }
        meter?.Report(result.Count);
        meter?.Done();
        return new WalkResult(result, boundary.Shallow, boundary.Unshallow, clientHas);
    }

    public CommitInfo Commit(ObjectId id)
    {
        if (!_commits.TryGetValue(id, out var info))
            _commits[id] = info = objects.ReadCommit(id);
        return info;
    }

    /// <summary>A commit's parents as this walk sees them: none on the shallow boundary.</summary>
    private IReadOnlyList<ObjectId> Parents(ObjectId id) => _cut.Contains(id) ? [] : Commit(id).Parents;

    private (List<ObjectId> Interesting, HashSet<ObjectId> Edge) WalkCommits(List<ObjectId> wants, IReadOnlyCollection<ObjectId> haves)
    {
        var uninteresting = new HashSet<ObjectId>();
        var seen = new HashSet<ObjectId>();
        var queue = new PriorityQueue<ObjectId, long>();
        // Queued commits not known uninteresting: the walk goes on while there is one.
        var pending = new HashSet<ObjectId>();
        void Enqueue(ObjectId id)
        {
            if (!seen.Add(id)) return;
            queue.Enqueue(id, -Commit(id).CommitTime);
            if (!uninteresting.Contains(id)) pending.Add(id);
        }

        foreach (var have in haves)
        {
            if (!objects.TryLocate(have, out var location) || location.Type != ObjectType.Commit) continue;
            uninteresting.Add(have);
            Enqueue(have);
        }
        foreach (var want in wants) Enqueue(want);

        var interesting = new List<ObjectId>();
        // Newest first; stop when only commits the client has are left to look at.
        while (pending.Count > 0 && queue.TryDequeue(out var id, out _))
        {
            pending.Remove(id);
            bool isUninteresting = uninteresting.Contains(id);
            if (!isUninteresting) interesting.Add(id);
            foreach (var parent in Parents(id))
            {
                if (isUninteresting) MarkUninteresting(parent, uninteresting, pending);
                Enqueue(parent);
            }
        }

        // A commit found interesting may have turned out to be the client's through an older path.
        interesting.RemoveAll(uninteresting.Contains);
        var edge = new HashSet<ObjectId>();
        foreach (var id in interesting)
            foreach (var parent in Parents(id))
                if (uninteresting.Contains(parent)) edge.Add(parent);
        foreach (var id in haves)
            if (_cut.Contains(id) && objects.TryLocate(id, out var location) && location.Type == ObjectType.Commit) edge.Add(id);
        return (interesting, edge);
    }

    private void MarkUninteresting(ObjectId id, HashSet<ObjectId> uninteresting, HashSet<ObjectId> pending)
    {
        // Propagate through commits already parsed, so that the filter above catches them.
        var stack = new Stack<ObjectId>();
        stack.Push(id);
        while (stack.TryPop(out var next))
        {
            if (!uninteresting.Add(next)) continue;
            pending.Remove(next);
            if (_commits.ContainsKey(next))
                foreach (var parent in Parents(next)) stack.Push(parent);
        }
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
}
