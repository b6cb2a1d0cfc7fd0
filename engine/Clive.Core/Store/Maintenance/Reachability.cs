using Clive.Git;

namespace Clive.Store.Maintenance;

/// <summary>Every object reachable from the refs of every repo and from the other roots given, in the order found.</summary>
internal static class Reachability
{
    /// <param name="otherRoots">
    /// Objects that rows of the store name (<see cref="TableReferences"/>). One already missing is
    /// passed over: nothing can keep it now, and fsck names the row. A ref's target must be there.
    /// </param>
    /// <param name="known">
    /// Objects found before, with everything they reach (a closed set): passed over, not returned.
    /// gc's sweep walks only what refs and rows reach now beyond what its mark found.
    /// </param>
    public static List<ObjectId> From(CliveStore store, IEnumerable<ObjectId> otherRoots, Action<string>? progress, IReadOnlySet<ObjectId>? known = null)
    {
        var found = new List<ObjectId>();
        var seen = new HashSet<ObjectId>();
        var stack = new Stack<ObjectId>();
        foreach (var id in otherRoots)
            if (store.Objects.Contains(id)) stack.Push(id);
        foreach (var repo in store.Repos.List())
        {
            long repoId = store.Repos.GetId(repo.Name);
            foreach (var r in store.Refs.List(repoId))
                if (r.Target is { } id) stack.Push(id);
        }
        var meter = Progress.ProgressMeter.Start("Counting objects", 0, progress);
        while (stack.TryPop(out var id))
        {
            if (known?.Contains(id) == true || !seen.Add(id)) continue;
            found.Add(id);
            meter?.Report(found.Count);
            if (!store.Objects.TryLocate(id, out var location))
                throw new CliveException($"object {id} is reachable but missing; run `clive fsck`");
            switch (location.Type)
            {
                case ObjectType.Commit:
                    var commit = CommitParser.Parse(store.Objects.Read(id, ObjectType.Commit));
                    stack.Push(commit.Tree);
                    foreach (var parent in commit.Parents) stack.Push(parent);
                    break;
                case ObjectType.Tree:
                    foreach (var entry in TreeParser.Entries(store.Objects.Read(id, ObjectType.Tree)))
                        if (!entry.IsGitlink) stack.Push(entry.Id);
                    break;
                case ObjectType.Tag:
                    stack.Push(TagParser.Parse(store.Objects.Read(id, ObjectType.Tag)).Target);
                    break;
            }
        }
        meter?.Done();
        return found;
    }
}
