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
        var commitHaves = haves.Where(id => objects.TryLocate(id, out var location) && location.Type == ObjectType.Commit).ToList();
        var walk = new NewestFirstWalk(Commit, Parents);
        var interesting = walk.Run(wants, commitHaves);
        var edge = new HashSet<ObjectId>();
        foreach (var id in interesting)
            foreach (var parent in Parents(id))
                if (walk.Uninteresting.Contains(parent)) edge.Add(parent);
        // A have on the shallow boundary has no parents here, but its tree is the client's all the same.
        edge.UnionWith(commitHaves.Where(_cut.Contains));
        return (interesting, edge);
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
