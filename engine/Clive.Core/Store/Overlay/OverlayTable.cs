using Clive.Git;

namespace Clive.Store.Overlay;

/// <summary>
/// What a path is in an overlay: gone, a file, an executable, a symlink, or a directory: a new,
/// opaque one without an id; with one, the tree a moved directory shows (the rows below it apply on top).
/// </summary>
public enum OverlayKind { Deleted = 0, File = 1, Executable = 2, Symlink = 3, Directory = 4 }

/// <summary>
/// One pending change of a mount: the path's new kind and content, given as bytes or as the id of
/// an object the store already has (a rename of an unchanged file costs nothing). The version
/// orders changes, so a commit removes exactly the rows it took and no later edit.
/// </summary>
public sealed record OverlayEntry(string Path, OverlayKind Kind, byte[]? Data, ObjectId? Id, long Version, ObjectId? Base = null);

/// <summary>Changes to entry attributes that go in one overlay transaction: moves first (a rename), then removals (with what is below them), then rows.</summary>
public sealed record AttributeChanges(IReadOnlyList<EntryAttributes> Rows, IReadOnlyList<string> Removed, IReadOnlyList<(string From, string To)> Moved)
{
    public bool IsEmpty => Rows.Count == 0 && Removed.Count == 0 && Moved.Count == 0;
}

/// <summary>
/// The durable overlay of every mount: edits written at fsync and close, before they become a
/// commit. Keyed by repo and ref, so a new mount of the same ref picks up what a killed one left.
/// </summary>
public sealed class OverlayTable(CliveStore store)
{
    public IReadOnlyList<OverlayEntry> Load(string repo, string refName)
        => store.Connection.Rows("SELECT path, kind, data, oid, version, base FROM overlay WHERE repo=$repo AND ref=$ref ORDER BY path",
                ("$repo", repo), ("$ref", refName))
            .Select(r => new OverlayEntry(r.GetString(0), (OverlayKind)r.GetInt32(1),
                r.IsDBNull(2) ? null : (byte[])r.GetValue(2), r.IsDBNull(3) ? null : new ObjectId((byte[])r.GetValue(3)), r.GetInt64(4),
                r.IsDBNull(5) ? null : new ObjectId((byte[])r.GetValue(5))))
            .ToList();

    /// <summary>
    /// Records changes durably (one transaction, synchronous commit): after this, kill -9 loses
    /// nothing. <paramref name="removed"/> paths (rows made moot, e.g. below a deleted directory)
    /// go in the same transaction, so a rename is never half on disk, and so do the changes of
    /// <paramref name="attributes"/> (a moved path's attributes move with its content).
    /// </summary>
    public void Save(string repo, string refName, IEnumerable<OverlayEntry> entries, IEnumerable<string>? removed = null, AttributeChanges? attributes = null)
    {
        using var transaction = store.BeginWrite();
        if (attributes is not null)
        {
            foreach (var (from, to) in attributes.Moved) store.Attributes.Move(repo, refName, from, to);
            store.Attributes.Apply(repo, refName, attributes.Rows, attributes.Removed);
        }
        foreach (var path in removed ?? [])
            store.Connection.Execute("DELETE FROM overlay WHERE repo=$repo AND ref=$ref AND path=$path",
                ("$repo", repo), ("$ref", refName), ("$path", path));
        foreach (var e in entries)
        {
            store.Connection.Execute("""
                INSERT OR REPLACE INTO overlay(repo, ref, path, kind, data, oid, version, base)
                VALUES($repo, $ref, $path, $kind, $data, $oid, $version, $base)
                """, ("$repo", repo), ("$ref", refName), ("$path", e.Path), ("$kind", (int)e.Kind), ("$data", e.Data),
                ("$oid", e.Id?.ToBytes()), ("$version", e.Version), ("$base", e.Base?.ToBytes()));
        }
        transaction.Commit();
    }

    /// <summary>Forgets every mount's pending edits of a deleted repo, inside the caller's transaction (the objects they name would be kept for ever).</summary>
    internal void ForgetRepo(string repo)
    {
        store.Connection.Execute("DELETE FROM overlay WHERE repo=$repo", ("$repo", repo));
        store.Attributes.ForgetRepo(repo);
    }

    /// <summary>Forgets rows (committed elsewhere), unless a newer version replaced them meanwhile.</summary>
    public void Remove(string repo, string refName, IEnumerable<OverlayEntry> entries)
    {
        using var transaction = store.BeginWrite();
        RemoveCommitted(repo, refName, entries);
        transaction.Commit();
    }

    /// <summary>Forgets committed rows, unless a newer version replaced them meanwhile. Call inside a write transaction.</summary>
    internal void RemoveCommitted(string repo, string refName, IEnumerable<OverlayEntry> committed)
    {
        foreach (var e in committed)
            store.Connection.Execute("DELETE FROM overlay WHERE repo=$repo AND ref=$ref AND path=$path AND version=$version",
                ("$repo", repo), ("$ref", refName), ("$path", e.Path), ("$version", e.Version));
    }
}
