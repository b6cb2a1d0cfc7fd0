using Clive.Store;
using Clive.Store.Cells;

namespace Clive.EngineHost;

/// <summary>
/// Which repo, branch and cell `clive run NAME` means. The cell is found by name across the store
/// as `clive logs` finds it (<see cref="CellFinder"/>); the user is asked only when the name is
/// ambiguous. A cell no engine has shown yet can still be run when the repo is known (given, or
/// the store's only one): its model is evaluated first, and says whether it has the cell.
/// </summary>
internal sealed record RunTarget(string Repo, string Ref, string Cell)
{
    public static RunTarget Find(CliveStore store, string name, string? repo, string? refName)
    {
        if (repo is not null) repo = Clive.Store.Repos.RepoName.Normalize(repo);
        if (CellFinder.Single(store, name, repo, refName) is { } known) return new RunTarget(known.Repo, known.Ref, known.Cell);
        repo ??= OnlyRepo(store, name);
        long repoId = store.Repos.GetId(repo);
        return new RunTarget(repo, refName ?? store.Refs.SymbolicTarget(repoId, "HEAD") ?? Clive.Store.Repos.RepoCatalog.DefaultBranch, name);
    }

    private static string OnlyRepo(CliveStore store, string name)
    {
        // The engines' registry holds adverts, never a model: "the only repo" means the only one that could have the cell.
        var repos = store.Repos.List().Where(r => r.Name != Clive.Core.Store.Engines.EngineRegistry.Repo).ToList();
        return repos.Count == 1 ? repos[0].Name
            : throw new CliveException(repos.Count == 0 ? "the store has no repos"
                : $"no repo shows a cell '{name}' yet (see clive status); say which of the store's {repos.Count} repos with --repo");
    }
}
