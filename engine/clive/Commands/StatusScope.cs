using Clive.Git;
using Clive.Store;

namespace Clive.Cli.Commands;

/// <summary>
/// Why `clive status` has nothing to show for a repo or branch, in words that say what to do: the
/// branch does not exist, its tree has no clive.csx, or it has one that no engine has evaluated.
/// </summary>
internal static class StatusScope
{
    private const string ScriptName = "clive.csx";
    private static readonly byte[] ScriptNameBytes = System.Text.Encoding.ASCII.GetBytes(ScriptName);

    /// <summary>Throws when the branch asked for does not exist; otherwise the reason it shows no cells.</summary>
    public static string Explain(CliveStore store, string? repo, string? refName)
    {
        if (repo is null && refName is null) return "no cells yet: run clive up --repo NAME, and push a repo with a clive.csx";
        if (repo is null)
        {
            var having = store.Repos.List().Where(r => store.Refs.Resolve(store.Repos.GetId(r.Name), refName!) is not null).ToList();
            if (having.Count == 0) throw new CliveException($"no repo has a branch '{ShortName(refName!)}'");
            return string.Join('\n', having.Select(r => Explain(store, r.Name, refName)));
        }
        long repoId = store.Repos.GetId(repo);
        var branch = refName ?? store.Refs.SymbolicTarget(repoId, "HEAD") ?? Clive.Store.Repos.RepoCatalog.DefaultBranch;
        var where = $"{repo}@{ShortName(branch)}";
        if (store.Refs.Resolve(repoId, branch) is not { } commit)
            throw new CliveException(refName is null ? $"{repo} has no commits yet" : $"{repo} has no branch '{ShortName(branch)}'");
        if (!HasScript(store, store.Objects.ReadCommit(commit).Tree))
            return $"{where} has no model: no {ScriptName} in its tree";
        // Plain words, no quotes: the note is also a JSON string, where an encoder would escape them.
        var head = store.Refs.SymbolicTarget(repoId, "HEAD");
        return $"{where} has a model ({ScriptName}) that no engine has evaluated: run clive up --repo {repo}"
            + (branch == head ? "" : $" --branch {ShortName(branch)} (it watches the HEAD branch of each repo unless told)");
    }

    /// <summary>Whether a clive.csx is anywhere in the tree (as the engine looks for one), walked without recursion.</summary>
    private static bool HasScript(CliveStore store, ObjectId root)
    {
        var pending = new Stack<ObjectId>([root]);
        var seen = new HashSet<ObjectId>();
        while (pending.TryPop(out var tree))
        {
            if (!seen.Add(tree)) continue;
            foreach (var entry in TreeParser.Entries(store.Objects.Read(tree, ObjectType.Tree)))
            {
                if (entry.IsTree) pending.Push(entry.Id);
                else if (!entry.IsGitlink && entry.Name.Span.SequenceEqual(ScriptNameBytes)) return true;
            }
        }
        return false;
    }

    private static string ShortName(string refName) => Clive.Store.Cells.CellRefs.ShortName(refName);
}
