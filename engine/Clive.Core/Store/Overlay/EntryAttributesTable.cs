using Clive.Git;

namespace Clive.Store.Overlay;

/// <summary>
/// The entry attributes (<see cref="EntryAttributes"/>) of every mount, by repo, ref and path.
/// Unlike overlay rows they are never committed and outlive commits and ref moves, as a
/// checkout's inodes do: <c>chmod 600 key</c> of a committed file stays 600 and makes no commit.
/// Written inside the overlay's transactions (<see cref="OverlayTable.Save"/>), so a rename moves
/// content and attributes together.
/// </summary>
public sealed class EntryAttributesTable(CliveStore store)
{
    internal const string Schema = """
        CREATE TABLE mount_attributes(
            repo TEXT NOT NULL,
            ref TEXT NOT NULL,
            path TEXT NOT NULL,
            mode INTEGER NOT NULL,
            uid INTEGER NOT NULL,
            gid INTEGER NOT NULL,
            rdev INTEGER NOT NULL,
            atime INTEGER NOT NULL, atime_ns INTEGER NOT NULL,
            mtime INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
            ctime INTEGER NOT NULL, ctime_ns INTEGER NOT NULL,
            oid BLOB,
            link INTEGER NOT NULL,
            PRIMARY KEY(repo, ref, path)) WITHOUT ROWID;
        """;

    public IReadOnlyList<EntryAttributes> Load(string repo, string refName)
        => store.Connection.Rows("""
                SELECT path, mode, uid, gid, rdev, atime, atime_ns, mtime, mtime_ns, ctime, ctime_ns, oid, link
                FROM mount_attributes WHERE repo=$repo AND ref=$ref ORDER BY path
                """, ("$repo", repo), ("$ref", refName))
            .Select(r => new EntryAttributes(r.GetString(0), (uint)r.GetInt64(1), (uint)r.GetInt64(2), (uint)r.GetInt64(3), (ulong)r.GetInt64(4),
                new FileTime(r.GetInt64(5), (uint)r.GetInt64(6)), new FileTime(r.GetInt64(7), (uint)r.GetInt64(8)),
                new FileTime(r.GetInt64(9), (uint)r.GetInt64(10)), r.IsDBNull(11) ? null : new ObjectId((byte[])r.GetValue(11)), r.GetInt64(12)))
            .ToList();

    /// <summary>Writes rows and deletes paths (with everything below them), inside the caller's write transaction.</summary>
    internal void Apply(string repo, string refName, IEnumerable<EntryAttributes> rows, IEnumerable<string> removed)
    {
        foreach (var path in removed)
        {
            store.Connection.Execute("DELETE FROM mount_attributes WHERE repo=$repo AND ref=$ref AND (path=$path OR substr(path, 1, length($path) + 1) = $path || '/')",
                ("$repo", repo), ("$ref", refName), ("$path", path));
        }
        foreach (var a in rows)
        {
            store.Connection.Execute("""
                INSERT OR REPLACE INTO mount_attributes(repo, ref, path, mode, uid, gid, rdev, atime, atime_ns, mtime, mtime_ns, ctime, ctime_ns, oid, link)
                VALUES($repo, $ref, $path, $mode, $uid, $gid, $rdev, $as, $an, $ms, $mn, $cs, $cn, $oid, $link)
                """, ("$repo", repo), ("$ref", refName), ("$path", a.Path), ("$mode", (long)a.Mode), ("$uid", (long)a.Uid), ("$gid", (long)a.Gid),
                ("$rdev", (long)a.Device), ("$as", a.Accessed.Seconds), ("$an", (long)a.Accessed.Nanoseconds),
                ("$ms", a.Modified.Seconds), ("$mn", (long)a.Modified.Nanoseconds), ("$cs", a.Changed.Seconds), ("$cn", (long)a.Changed.Nanoseconds),
                ("$oid", a.Content?.ToBytes()), ("$link", a.Link));
        }
    }

    /// <summary>Moves the rows of a path and everything below it to a new path, inside the caller's write transaction.</summary>
    internal void Move(string repo, string refName, string from, string to)
    {
        store.Connection.Execute("DELETE FROM mount_attributes WHERE repo=$repo AND ref=$ref AND (path=$to OR substr(path, 1, length($to) + 1) = $to || '/')",
            ("$repo", repo), ("$ref", refName), ("$to", to));
        store.Connection.Execute("""
            UPDATE mount_attributes SET path = $to || substr(path, length($from) + 1)
            WHERE repo=$repo AND ref=$ref AND (path=$from OR substr(path, 1, length($from) + 1) = $from || '/')
            """, ("$repo", repo), ("$ref", refName), ("$from", from), ("$to", to));
    }

    internal void ForgetRepo(string repo) => store.Connection.Execute("DELETE FROM mount_attributes WHERE repo=$repo", ("$repo", repo));
}
