namespace Clive.Store.Cells;

/// <summary>
/// A cell as a user names it: its full name ("app/build"), or its last part when that is unique,
/// looked for in every repo and branch the engine shows (`clive status`). `clive logs`,
/// `clive run` and `clive why` find cells by this one rule, so a name one accepts the other accepts too.
/// </summary>
public static class CellFinder
{
    /// <summary>The cells <paramref name="name"/> may mean; an exact full name wins over last parts.</summary>
    public static IReadOnlyList<CellStatus> Candidates(CliveStore store, string name, string? repo, string? refName)
    {
        var matches = store.Cells.Statuses(repo, refName)
            .Where(s => s.Cell == name || s.Cell.EndsWith("/" + name, StringComparison.Ordinal)).ToList();
        return matches.Count > 1 && matches.Any(m => m.Cell == name) ? matches.Where(m => m.Cell == name).ToList() : matches;
    }

    /// <summary>The one cell <paramref name="name"/> means, or null when none has that name; several is the user's to settle.</summary>
    public static CellStatus? Single(CliveStore store, string name, string? repo, string? refName)
    {
        var matches = Candidates(store, name, repo, refName);
        return matches.Count switch
        {
            0 => null,
            1 => matches[0],
            _ => throw new CliveException($"'{name}' names {matches.Count} cells: {string.Join(", ", matches.Select(m => $"{m.Cell} in {m.Repo}@{CellRefs.ShortName(m.Ref)}"))}; "
                + "say which with --repo/--branch or the full name"),
        };
    }
}
