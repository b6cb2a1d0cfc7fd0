using Clive.Access;
using Clive.Git;
using Clive.Model;
using Clive.Store;

namespace Clive.Engine.Evaluation;

/// <summary>
/// Who a commit's model runs as, and what it may read. A model is code: the engine evaluates a
/// commit only when the identity that made the ref point at it (the reflog says who) holds the
/// <c>run</c> right on that ref, and every ref a model reads with <c>FromRef</c> is checked against
/// that identity's <c>read</c> rights, so a model can publish nothing its pusher could not fetch.
/// Changes made on this machine (clive::local pushes, mounts) are the owner's.
/// </summary>
internal static class ModelTrust
{
    /// <summary>The identity that set <paramref name="refName"/> to <paramref name="commit"/>; no one (no rights) when the reflog does not say.</summary>
    public static Principal PusherOf(CliveStore store, string repo, string refName, ObjectId commit)
        => store.Events.LastSetTo(repo, refName, commit) is { } change ? Principal.FromReflog(change.Who) : new Principal("(unknown)", false);

    /// <summary>Why the model at this commit must not run, or null when it may.</summary>
    public static string? RefusalToRun(CliveStore store, Principal pusher, string repo, string refName)
        => store.Access.Has(pusher, Right.Run, repo, refName)
            ? null
            : $"not evaluated: '{pusher.Name}' pushed it and has no 'run' right on {repo}:{refName} (clive grant {pusher.Name} run {repo})";

    /// <summary>Why a cell may not read one of the refs it names with FromRef, or null when it may read them all.</summary>
    public static string? RefusalToRead(CliveStore store, Principal runsAs, string ownRepo, IEnumerable<CellInput> inputs)
    {
        foreach (var input in inputs.OfType<RefInput>())
            if (RefusalToRead(store, runsAs, input.Repo.Length == 0 ? ownRepo : input.Repo, input.Ref, "reads with FromRef") is { } refusal) return refusal;
        return null;
    }

    /// <summary>Why the model may not read <paramref name="refName"/> of <paramref name="repo"/> (which the cell <paramref name="how"/>), or null when it may.</summary>
    public static string? RefusalToRead(CliveStore store, Principal runsAs, string repo, string refName, string how)
    {
        // Asked whether or not the ref exists, so a refusal says nothing about what is there.
        var allowed = store.Access.HasAny(runsAs, Right.Read, repo)
            && (store.Repos.TryGetId(repo) is not { } repoId || store.Refs.ResolveFull(repoId, refName) is not { } found
                || store.Access.Has(runsAs, Right.Read, repo, found.Name));
        return allowed ? null : $"'{runsAs.Name}' (who pushed the model) may not read {repo}:{refName}, which this cell {how}";
    }
}
