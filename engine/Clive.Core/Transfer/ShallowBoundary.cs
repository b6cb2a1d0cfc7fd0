using Clive.Git;

namespace Clive.Transfer;

/// <summary>
/// What a fetch asked about history depth: <c>deepen N</c> (with <c>deepen-relative</c>: N beyond
/// the client's current boundary), <c>deepen-since</c>, <c>deepen-not</c>, and the commits the
/// client already has without their parents (<c>shallow</c> lines).
/// </summary>
public sealed record ShallowRequest(int Depth, bool Relative, long? Since, IReadOnlyList<ObjectId> Not, IReadOnlySet<ObjectId> ClientShallow)
{
    /// <summary>git's INFINITE_DEPTH: what <c>fetch --unshallow</c> sends.</summary>
    public const int Infinite = 0x7fffffff;

    public static ShallowRequest None { get; } = new(0, false, null, [], new HashSet<ObjectId>());

    public bool ByRevList => Since is not null || Not.Count > 0;

    /// <summary>Whether the answer has a shallow-info section: something was asked, or the client is shallow.</summary>
    public bool Reports => Depth > 0 || ByRevList || ClientShallow.Count > 0;
}

/// <summary>The new boundary: commits the client gets without their parents, and its shallow commits that are shallow no more.</summary>
public sealed record ShallowResult(HashSet<ObjectId> Shallow, HashSet<ObjectId> Unshallow);

/// <summary>
/// Computes the boundary as git's upload-pack does (shallow.c): by depth, the commits at the
/// smallest distance N from a want (the wants are at 1); by date or excluded refs, the commits
/// <c>rev-list --max-age=T wants --not refs</c> lists whose parents it does not list. Client
/// commits inside the new history become unshallow.
/// </summary>
public sealed class ShallowBoundary(Func<ObjectId, CommitInfo> commit)
{
    public ShallowResult Compute(IReadOnlyList<ObjectId> wants, ShallowRequest request)
    {
        if (request.Depth > 0 && request.ByRevList)
            throw new ProtocolException("git upload-pack: deepen and deepen-since (or deepen-not) cannot be used together");
        if (request.ByRevList) return ByRevList(wants, request);
        if (request.Depth == 0) return new([], []);
        if (request.Depth == ShallowRequest.Infinite) return new([], request.ClientShallow.ToHashSet());
        int depth = request.Depth;
        if (request.Relative)
        {
            // N beyond the nearest commit the client has shallow; without one, nothing to deepen.
            if (NearestShallow(wants, request.ClientShallow) is not { } current) return new([], []);
            depth = (int)Math.Min((long)depth + current, ShallowRequest.Infinite - 1);
        }
        return ByDepth(wants, depth, request.ClientShallow);
    }

    private ShallowResult ByDepth(IReadOnlyList<ObjectId> wants, int depth, IReadOnlySet<ObjectId> clientShallow)
    {
        var notShallow = new HashSet<ObjectId>();
        var shallow = new HashSet<ObjectId>();
        var seen = new HashSet<ObjectId>();
        var level = wants.Where(seen.Add).ToList();
        for (int d = 1; level.Count > 0; d++)
        {
            var next = new List<ObjectId>();
            foreach (var id in level)
            {
                if (d >= depth)
                {
                    if (!clientShallow.Contains(id)) shallow.Add(id);
                    continue;
                }
                notShallow.Add(id);
                next.AddRange(commit(id).Parents.Where(seen.Add));
            }
            level = next;
        }
        return new(shallow, clientShallow.Where(notShallow.Contains).ToHashSet());
    }

    /// <summary>The smallest distance from a want (1) at which a commit the client has shallow is found.</summary>
    private int? NearestShallow(IReadOnlyList<ObjectId> wants, IReadOnlySet<ObjectId> clientShallow)
    {
        if (clientShallow.Count == 0) return null;
        var seen = new HashSet<ObjectId>();
        var level = wants.Where(seen.Add).ToList();
        for (int d = 1; level.Count > 0; d++)
        {
            if (level.Any(clientShallow.Contains)) return d;
            level = level.SelectMany(id => commit(id).Parents).Where(seen.Add).ToList();
        }
        return null;
    }

    /// <summary>
    /// rev-list's walk, newest first: a commit older than the date, or reachable from an excluded
    /// ref, is uninteresting, and so is everything it reaches; the walk ends when only
    /// uninteresting commits are left.
    /// </summary>
    private ShallowResult ByRevList(IReadOnlyList<ObjectId> wants, ShallowRequest request)
    {
        var walk = new NewestFirstWalk(commit, id => commit(id).Parents);
        var listed = walk.Run(wants, request.Not, request.Since is { } since ? info => info.CommitTime < since : null);
        if (listed.Count == 0) throw new ProtocolException("no commits selected for shallow requests");
        var included = listed.ToHashSet();
        var border = listed.Where(id => commit(id).Parents.Any(p => !included.Contains(p))).ToHashSet();
        var shallow = border.Where(id => !request.ClientShallow.Contains(id)).ToHashSet();
        var unshallow = request.ClientShallow.Where(id => included.Contains(id) && !border.Contains(id)).ToHashSet();
        return new(shallow, unshallow);
    }
}
