using Clive.Store;
using Clive.Store.Overlay;

namespace Clive.Fs;

/// <summary>
/// The mount's edits not yet committed: the overlay's rows, by path, as they are durably in the
/// store (plus version-0 rows that live in memory only: a file created and not yet closed). Every
/// change gets a version higher than all before it, so a commit adopts only the rows not edited
/// since it read them; the index of rows by parent directory is kept in step with the rows.
/// </summary>
internal sealed class PendingEdits(CliveStore store, string repo, string refName)
{
    private readonly Dictionary<string, OverlayEntry> _rows = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _namesByParent = new(StringComparer.Ordinal);
    private long _version;

    public int Count => _rows.Count;

    public IEnumerable<OverlayEntry> Rows => _rows.Values;

    public IEnumerable<string> Paths => _rows.Keys;

    public OverlayEntry this[string path] => _rows[path];

    public bool TryGet(string path, out OverlayEntry entry) => _rows.TryGetValue(path, out entry!);

    public bool Contains(string path) => _rows.ContainsKey(path);

    /// <summary>The names of rows directly in a directory, or null when there are none.</summary>
    public HashSet<string>? NamesIn(string directory) => _namesByParent.GetValueOrDefault(directory);

    /// <summary>The version for the next change.</summary>
    public long NextVersion() => ++_version;

    /// <summary>Takes in the rows an earlier mount saved (it may have been killed) and returns them.</summary>
    public IReadOnlyList<OverlayEntry> Load()
    {
        var loaded = store.Overlay.Load(repo, refName);
        foreach (var entry in loaded) Remember(entry);
        _version = Math.Max(_version, _rows.Values.Select(e => e.Version).DefaultIfEmpty(0).Max());
        return loaded;
    }

    /// <summary>A row, in memory; <see cref="Persist"/> makes rows durable.</summary>
    public void Remember(OverlayEntry entry)
    {
        _rows[entry.Path] = entry;
        var parent = OverlayCommit.Parent(entry.Path);
        if (!_namesByParent.TryGetValue(parent, out var names)) _namesByParent[parent] = names = new(StringComparer.Ordinal);
        names.Add(OverlayCommit.Name(entry.Path));
    }

    public void Forget(string path)
    {
        _rows.Remove(path);
        if (_namesByParent.TryGetValue(OverlayCommit.Parent(path), out var names)) names.Remove(OverlayCommit.Name(path));
    }

    /// <summary>Forgets the rows below a path (in memory); returns their paths, for the same transaction to delete.</summary>
    public List<string> ForgetBelow(string path)
    {
        var below = _rows.Keys.Where(p => p.StartsWith(path + "/", StringComparison.Ordinal)).ToList();
        foreach (var p in below) Forget(p);
        return below;
    }

    /// <summary>Writes rows, deletes the <paramref name="removed"/> paths' rows and applies <paramref name="attributes"/> in one durable transaction.</summary>
    public void Persist(IEnumerable<OverlayEntry> rows, IEnumerable<string>? removed = null, AttributeChanges? attributes = null)
        => store.Overlay.Save(repo, refName, rows, removed, attributes);

    /// <summary>Deletes rows durably (their edits went to a conflict branch).</summary>
    public void Delete(IReadOnlyList<OverlayEntry> rows) => store.Overlay.Remove(repo, refName, rows);
}
