using System.Diagnostics;
using Clive.Git;
using Clive.Packs;
using Clive.Store;
using Clive.Store.Objects;

namespace Clive.Transfer;

/// <summary>
/// The objects one principal may build on or be told of in one repo: those reachable from the refs
/// of that repo it may read. A store shares objects between repos, so "the store has it" is not
/// git's "the repository has it": receive-pack must not let a push name, refer to or delta against
/// an object outside this set, and upload-pack must not ACK a <c>have</c> outside it, or anyone
/// could read (or learn of) another repo's and hidden branches' objects by their ids.
/// </summary>
/// <remarks>
/// Answers are exact when yes and conservative when no, and cost what a push or fetch touches,
/// never the whole history per question. Like git's <c>rev-list --not --all</c> in
/// <c>check_connected</c>: a commit is looked for by one walk from the tips, newest first, shared
/// by every question of the request and given up once it is older than the commit asked about
/// (less a day of clock skew, as <see cref="Ancestry"/> allows). A tree, blob or tag is looked
/// for in what the tips name and in the trees of commits already shown readable (the commits a
/// push builds on, as git marks its edge commits' trees uninteresting), opened lazily and once.
/// </remarks>
public sealed class ReadableObjects : IObjectSource
{
    private const long ClockSkewSeconds = 86_400;
    private readonly ObjectDatabase _objects;
    // Commits reached by the walk from the tips; the frontier still to open, newest first.
    private readonly HashSet<ObjectId> _commits = [];
    private readonly PriorityQueue<(ObjectId Id, CommitInfo Info), long> _walk = new();
    // Trees, blobs and tags known readable; trees among them not opened yet.
    private readonly HashSet<ObjectId> _others = [];
    private readonly Stack<ObjectId> _unopened = new();
    // Readable commits whose trees are not yet among the objects above: first those a push
    // builds on (asked about, or hinted), whose trees hold what a thin pack leans on; the tips'
    // last, as other branches' trees may share little with them and cost as many reads again.
    private readonly Queue<ObjectId> _anchors = new();
    private readonly Queue<ObjectId> _tipAnchors = new();
    private readonly HashSet<ObjectId> _anchored = [];
    private readonly HashSet<ObjectId> _hinted = [];
    private int _hintsSeen = -1;
    private long _elapsed;
    private int _walked, _opened;

    // Read at the first question: a push whose pack holds everything it names, or a fetch with
    // no haves, never pays for peeling every ref of a repo with thousands of tags.
    private List<ObjectId>? _tips;

    public ReadableObjects(ObjectDatabase objects, IEnumerable<ObjectId> tips)
    {
        _objects = objects;
        _tips = tips.ToList();
    }

    /// <summary>The objects that the refs of <paramref name="repoId"/> passing <paramref name="readable"/> reach (none for a repo not created yet).</summary>
    public static ReadableObjects For(CliveStore store, long? repoId, Func<string, bool> readable)
        => new(store.Objects, repoId is { } id
            ? store.Refs.List(id).Where(r => r.Target is not null && readable(r.SymbolicTarget ?? r.Name)).Select(r => r.Target!.Value)
            : []);

    /// <summary>
    /// Commits that the objects being received refer to (a pack's parents). A tree or blob
    /// that is not found under the tips is then also looked for under those of them that prove
    /// readable: a thin pack's delta bases come from the commits it builds on, and its index has
    /// to resolve them before it has told anyone what those commits are.
    /// </summary>
    public Func<IReadOnlyCollection<ObjectId>>? Hints { get; set; }

    public bool Contains(ObjectId id)
    {
        if (_others.Contains(id)) return true;
        long start = Stopwatch.GetTimestamp();
        try
        {
            if (_tips is not null)
            {
                foreach (var tip in _tips) AddTip(tip);
                _tips = null;
                if (_others.Contains(id)) return true;
            }
            if (_commits.Contains(id)) return IsReadableCommit(id);
            if (!_objects.TryLocate(id, out var location)) return false;
            return location.Type == ObjectType.Commit ? IsReadableCommit(id) : IsReadableOther(id);
        }
        finally
        {
            _elapsed += Stopwatch.GetTimestamp() - start;
        }
    }

    /// <summary>
    /// Like <see cref="Contains"/>, but a tree or blob of any readable commit is found however old
    /// that commit is: the whole readable history is looked through if need be. For what a partial
    /// clone fetches on demand (git's allowReachableSHA1InWant); an object not found costs that walk.
    /// </summary>
    public bool ContainsAnywhere(ObjectId id)
    {
        if (Contains(id)) return true;
        if (!_objects.TryLocate(id, out var location) || location.Type == ObjectType.Commit) return false;
        long start = Stopwatch.GetTimestamp();
        try
        {
            foreach (var commit in _commits.ToList()) Anchor(commit);
            while (true)
            {
                if (IsReadableOther(id)) return true;
                if (!_walk.TryDequeue(out var next, out _)) return false;
                _walked++;
                foreach (var parent in next.Info.Parents)
                {
                    if (!_commits.Contains(parent) && _objects.Contains(parent) && _commits.Add(parent)) Enqueue(parent);
                }
                Anchor(next.Id);
            }
        }
        finally
        {
            _elapsed += Stopwatch.GetTimestamp() - start;
        }
    }

    /// <summary>What the answers so far have cost, for <c>CLIVE_TRACE</c>.</summary>
    public string Cost => $"{_walked} commits walked, {_opened} trees opened, {Stopwatch.GetElapsedTime(0, _elapsed).TotalMilliseconds:F1} ms";

    /// <summary>An object's type, told only for a readable object (the answer is as good as reading it).</summary>
    public bool TryGetType(ObjectId id, out ObjectType type)
    {
        if (Contains(id)) return _objects.TryGetType(id, out type);
        type = ObjectType.None;
        return false;
    }

    /// <summary>Reads an object only when it is readable: a thin pack's delta base must be, or the delta would copy bytes the pusher may not see.</summary>
    public bool TryRead(ObjectId id, out ObjectType type, out byte[] data)
    {
        if (Contains(id)) return _objects.TryRead(id, out type, out data);
        type = ObjectType.None;
        data = [];
        return false;
    }

    private void AddTip(ObjectId id)
    {
        // Peel tags: each tag object on the way is readable, and so is what it finally names.
        while (_objects.TryLocate(id, out var location))
        {
            switch (location.Type)
            {
                case ObjectType.Commit:
                    if (!_commits.Add(id)) return;
                    Enqueue(id);
                    _tipAnchors.Enqueue(id);
                    return;
                case ObjectType.Tag:
                    if (!_others.Add(id)) return;
                    id = TagParser.Parse(_objects.Read(id, ObjectType.Tag)).Target;
                    break;
                case ObjectType.Tree:
                    if (_others.Add(id)) _unopened.Push(id);
                    return;
                default:
                    _others.Add(id);
                    return;
            }
        }
    }

    private void Enqueue(ObjectId commit)
    {
        var info = _objects.ReadCommit(commit);
        _walk.Enqueue((commit, info), -info.CommitTime);
    }

    private void Anchor(ObjectId commit)
    {
        if (_anchored.Add(commit)) _anchors.Enqueue(commit);
    }

    private bool IsReadableCommit(ObjectId id)
    {
        if (!_commits.Contains(id))
        {
            long cutoff = _objects.ReadCommit(id).CommitTime - ClockSkewSeconds;
            while (!_commits.Contains(id) && _walk.TryPeek(out _, out long negativeTime) && -negativeTime >= cutoff)
            {
                var (_, info) = _walk.Dequeue();
                _walked++;
                foreach (var parent in info.Parents)
                {
                    // A parent missing from the store is a shallow or broken history: nothing to walk.
                    if (!_commits.Contains(parent) && _objects.Contains(parent) && _commits.Add(parent)) Enqueue(parent);
                }
            }
            if (!_commits.Contains(id)) return false;
        }
        // Shown readable: what its tree holds is readable too, and is what a push on it leans on.
        Anchor(id);
        return true;
    }

    private bool IsReadableOther(ObjectId id)
    {
        while (true)
        {
            while (_unopened.TryPop(out var tree))
            {
                _opened++;
                foreach (var entry in TreeParser.Entries(_objects.Read(tree, ObjectType.Tree)))
                {
                    if (entry.IsGitlink) continue; // a submodule's commit lives in another repository
                    if (_others.Add(entry.Id) && entry.IsTree) _unopened.Push(entry.Id);
                }
                if (_others.Contains(id)) return true;
            }
            if (_anchors.TryDequeue(out var commit) || TakeHints() && _anchors.TryDequeue(out commit) || _tipAnchors.TryDequeue(out commit))
            {
                var tree = _objects.ReadCommit(commit).Tree;
                if (_others.Add(tree)) _unopened.Push(tree);
                if (tree == id) return true;
                continue;
            }
            return false;
        }
    }

    /// <summary>Anchors the hinted commits that prove readable; false when that adds nothing to look through.</summary>
    private bool TakeHints()
    {
        var hints = Hints?.Invoke();
        if (hints is null || hints.Count == _hintsSeen) return false;
        _hintsSeen = hints.Count;
        foreach (var hint in hints)
        {
            if (!_hinted.Add(hint) || _anchored.Contains(hint)) continue;
            if (_objects.TryLocate(hint, out var location) && location.Type == ObjectType.Commit) IsReadableCommit(hint);
        }
        return _anchors.Count > 0;
    }
}
