using Clive.Git;

namespace Clive.Transfer;

/// <summary>
/// git's revision walk (revision.c's limit_list): commits newest first from the wants, where
/// commits reachable from an uninteresting one are uninteresting too, ending once every commit
/// still queued is uninteresting, so a fetch costs what is new, not the whole history.
/// </summary>
internal sealed class NewestFirstWalk(Func<ObjectId, CommitInfo> commit, Func<ObjectId, IReadOnlyList<ObjectId>> parents)
{
    private readonly HashSet<ObjectId> _seen = [];
    private readonly PriorityQueue<ObjectId, long> _queue = new();
    // Queued commits not known uninteresting: the walk goes on while there is one.
    private readonly HashSet<ObjectId> _pending = [];

    public HashSet<ObjectId> Uninteresting { get; } = [];

    /// <summary>
    /// The commits reachable from <paramref name="wants"/> and not from <paramref name="exclude"/>,
    /// newest first; <paramref name="tooOld"/> makes a commit (and what it reaches) uninteresting when
    /// the walk meets it, as rev-list's <c>--max-age</c> does.
    /// </summary>
    public List<ObjectId> Run(IEnumerable<ObjectId> wants, IEnumerable<ObjectId> exclude, Func<CommitInfo, bool>? tooOld = null)
    {
        foreach (var id in exclude)
        {
            Uninteresting.Add(id);
            Enqueue(id);
        }
        foreach (var id in wants) Enqueue(id);

        var listed = new List<ObjectId>();
        while (_pending.Count > 0 && _queue.TryDequeue(out var id, out _))
        {
            _pending.Remove(id);
            if (tooOld is not null && tooOld(commit(id))) Uninteresting.Add(id);
            bool isUninteresting = Uninteresting.Contains(id);
            if (!isUninteresting) listed.Add(id);
            foreach (var parent in parents(id))
            {
                if (isUninteresting) MarkUninteresting(parent);
                Enqueue(parent);
            }
        }
        // A commit listed may have turned out uninteresting through an older path.
        listed.RemoveAll(Uninteresting.Contains);
        return listed;
    }

    private void Enqueue(ObjectId id)
    {
        if (!_seen.Add(id)) return;
        _queue.Enqueue(id, -commit(id).CommitTime);
        if (!Uninteresting.Contains(id)) _pending.Add(id);
    }

    /// <summary>Spreads uninterestingness through commits already met; those met later check the set themselves.</summary>
    private void MarkUninteresting(ObjectId id)
    {
        var stack = new Stack<ObjectId>();
        stack.Push(id);
        while (stack.TryPop(out var next))
        {
            if (!Uninteresting.Add(next)) continue;
            _pending.Remove(next);
            if (_seen.Contains(next))
                foreach (var parent in parents(next)) stack.Push(parent);
        }
    }
}
