using Clive.Store.Overlay;

namespace Clive.Fs;

/// <summary>
/// The mount's entry attributes by path, as they are durably in the store once the staged changes
/// are persisted: every change is applied here at once and staged, and the next overlay
/// transaction (<see cref="PendingEdits.Persist"/>) writes the staged changes with the rows it
/// writes. Rows outlive commits and ref moves; a path's row goes when the path is removed.
/// </summary>
internal sealed class KeptAttributes
{
    private readonly Dictionary<string, EntryAttributes> _rows = new(StringComparer.Ordinal);
    private readonly List<EntryAttributes> _stagedRows = [];
    private readonly List<string> _stagedRemovals = [];
    private readonly List<(string From, string To)> _stagedMoves = [];

    /// <summary>The paths of fifos, sockets and devices, which have no other record: a directory's listing looks them up here.</summary>
    private readonly HashSet<string> _special = new(StringComparer.Ordinal);

    public bool TryGet(string path, out EntryAttributes row) => _rows.TryGetValue(path, out row!);

    public void Load(IEnumerable<EntryAttributes> rows)
    {
        foreach (var row in rows) Set(row);
    }

    /// <summary>Rows for fifos, sockets and devices directly in a directory.</summary>
    public IEnumerable<EntryAttributes> SpecialIn(string directory)
        => _special.Count == 0 ? [] : _special.Where(p => OverlayCommit.Parent(p) == directory).Select(p => _rows[p]).ToList();

    /// <summary>The highest hard-link group in use, so new groups never repeat one.</summary>
    public long MaxLink => _rows.Values.Select(r => r.Link).DefaultIfEmpty(0).Max();

    public void Put(EntryAttributes row)
    {
        Set(row);
        _stagedRows.RemoveAll(r => r.Path == row.Path);
        _stagedRows.Add(row);
    }

    /// <summary>Forgets a path's row and those below it.</summary>
    public void Remove(string path)
    {
        foreach (var p in Below(path)) Unset(p);
        _stagedRows.RemoveAll(r => IsAtOrBelow(r.Path, path));
        _stagedRemovals.Add(path);
    }

    /// <summary>Moves a path's row and those below it (a rename); what was at the new path goes.</summary>
    public void Move(string from, string to)
    {
        foreach (var p in Below(to)) Unset(p);
        foreach (var p in Below(from))
        {
            var row = _rows[p];
            Unset(p);
            Set(row with { Path = to + p[from.Length..] });
        }
        // Staged rows are written after the moves: they must name the paths as they are now.
        for (int i = 0; i < _stagedRows.Count; i++)
        {
            if (IsAtOrBelow(_stagedRows[i].Path, to)) _stagedRows.RemoveAt(i--);
            else if (IsAtOrBelow(_stagedRows[i].Path, from)) _stagedRows[i] = _stagedRows[i] with { Path = to + _stagedRows[i].Path[from.Length..] };
        }
        // The move replaces what was at the new path anyway; a removal there staged earlier would run after it and undo it.
        _stagedRemovals.RemoveAll(r => IsAtOrBelow(r, to));
        for (int i = 0; i < _stagedRemovals.Count; i++)
            if (IsAtOrBelow(_stagedRemovals[i], from)) _stagedRemovals[i] = to + _stagedRemovals[i][from.Length..];
        _stagedMoves.Add((from, to));
    }

    /// <summary>The changes not yet persisted, handed over to the transaction that persists them.</summary>
    public AttributeChanges? TakeStaged()
    {
        if (_stagedRows.Count == 0 && _stagedRemovals.Count == 0 && _stagedMoves.Count == 0) return null;
        // Removals run before rows in the transaction: a removal staged after a row of the same path wins by dropping the row above.
        var changes = new AttributeChanges(_stagedRows.ToList(), _stagedRemovals.ToList(), _stagedMoves.ToList());
        _stagedRows.Clear();
        _stagedRemovals.Clear();
        _stagedMoves.Clear();
        return changes;
    }

    private void Set(EntryAttributes row)
    {
        _rows[row.Path] = row;
        if (PosixMode.KindOf(row.Mode) is NodeKind.File or NodeKind.ExecutableFile or null) _special.Remove(row.Path);
        else _special.Add(row.Path);
    }

    private void Unset(string path)
    {
        _rows.Remove(path);
        _special.Remove(path);
    }

    private List<string> Below(string path) => _rows.Keys.Where(p => IsAtOrBelow(p, path)).ToList();

    private static bool IsAtOrBelow(string p, string path) => p == path || p.StartsWith(path + "/", StringComparison.Ordinal);
}
