using Clive.Git;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Clive.Store.Objects;

/// <summary>
/// The two queries a clone or a big push runs hundreds of thousands of times, prepared once on
/// the raw SQLite handle: ADO.NET's per-call reader objects cost more than the lookup itself.
/// </summary>
internal sealed class ObjectIndexQueries(SqliteConnection connection) : IDisposable
{
    private sqlite3_stmt? _locate;

    public bool TryLocate(ObjectId id, out ObjectLocation location)
    {
        _locate ??= Prepare("SELECT pack_id, offset, length, type FROM objects WHERE oid=?1");
        Span<byte> key = stackalloc byte[ObjectId.ByteLength];
        id.WriteTo(key);
        try
        {
            Check(raw.sqlite3_bind_blob(_locate, 1, key));
            int rc = raw.sqlite3_step(_locate);
            if (rc == raw.SQLITE_ROW)
            {
                location = ReadLocation(_locate, 0);
                return true;
            }
            if (rc != raw.SQLITE_DONE) Check(rc);
            location = default;
            return false;
        }
        finally
        {
            raw.sqlite3_reset(_locate);
        }
    }

    /// <summary>Every row of the index; cheap enough to scan whole into memory.</summary>
    public Dictionary<ObjectId, ObjectLocation> LoadAll(int capacity)
    {
        var map = new Dictionary<ObjectId, ObjectLocation>(capacity);
        var statement = Prepare("SELECT oid, pack_id, offset, length, type FROM objects");
        try
        {
            int rc;
            while ((rc = raw.sqlite3_step(statement)) == raw.SQLITE_ROW)
                map[new ObjectId(raw.sqlite3_column_blob(statement, 0))] = ReadLocation(statement, 1);
            if (rc != raw.SQLITE_DONE) Check(rc);
        }
        finally
        {
            raw.sqlite3_finalize(statement);
        }
        return map;
    }

    /// <summary>
    /// Every row's id, pack and offset, in pack order (by pack, then offset): the order an object's
    /// number follows. Sorted here, not by SQLite: no index has that order, and a temporary B-tree
    /// of every row costs seconds on a loaded machine where an array sort costs milliseconds.
    /// </summary>
    public (ObjectId Id, long PackId, long Offset)[] LoadInPackOrder()
    {
        var rows = new List<(ObjectId Id, long PackId, long Offset)>();
        var statement = Prepare("SELECT oid, pack_id, offset FROM objects");
        try
        {
            int rc;
            while ((rc = raw.sqlite3_step(statement)) == raw.SQLITE_ROW)
                rows.Add((new ObjectId(raw.sqlite3_column_blob(statement, 0)), raw.sqlite3_column_int64(statement, 1), raw.sqlite3_column_int64(statement, 2)));
            if (rc != raw.SQLITE_DONE) Check(rc);
        }
        finally
        {
            raw.sqlite3_finalize(statement);
        }
        var sorted = rows.ToArray();
        Array.Sort(sorted, (a, b) => a.PackId != b.PackId ? a.PackId.CompareTo(b.PackId) : a.Offset.CompareTo(b.Offset));
        return sorted;
    }

    private static ObjectLocation ReadLocation(sqlite3_stmt statement, int first)
        => new(raw.sqlite3_column_int64(statement, first), raw.sqlite3_column_int64(statement, first + 1),
            raw.sqlite3_column_int64(statement, first + 2), (ObjectType)raw.sqlite3_column_int(statement, first + 3));

    private sqlite3_stmt Prepare(string sql)
    {
        Check(raw.sqlite3_prepare_v2(connection.Handle, sql, out var statement));
        return statement;
    }

    private void Check(int rc)
    {
        if (rc is raw.SQLITE_OK or raw.SQLITE_ROW or raw.SQLITE_DONE) return;
        throw new SqliteException(raw.sqlite3_errmsg(connection.Handle).utf8_to_string(), rc);
    }

    public void Dispose()
    {
        if (_locate is not null) raw.sqlite3_finalize(_locate);
        _locate = null;
    }
}
