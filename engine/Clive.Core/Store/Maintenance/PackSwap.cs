using Clive.Packs;
using Clive.Store.Objects;

namespace Clive.Store.Maintenance;

/// <summary>
/// The steps by which gc puts its new pack in the place of the old ones, each in write
/// transactions short enough that pushes go on between them. At every commit the store is whole:
/// a pack row whose size is negative is not part of the store (being written, or retired and
/// being deleted), no object row names one, and readers treat it as gone; an object row moves to
/// the new pack only once that pack is complete. A gc killed at any point leaves packs that the
/// next one deletes.
/// </summary>
internal sealed class PackSwap(CliveStore store)
{
    // 16 MiB of chunks, or 20,000 index rows, per transaction: a push waits for at most one of them.
    private const int ChunksPerTransaction = 16;
    private const int RowsPerTransaction = 20_000;

    /// <summary>Copies a written pack file into the store; its objects stay where they were until <see cref="Relocate"/>.</summary>
    public long Copy(Stream file, int objects)
    {
        long packId;
        using (var transaction = store.BeginWrite())
        {
            packId = store.Connection.Scalar<long>("INSERT INTO packs(size, objects, created) VALUES(-1, $objects, $now) RETURNING id",
                ("$objects", objects), ("$now", DateTimeOffset.UtcNow.ToUnixTimeSeconds()));
            transaction.Commit();
        }
        var buffer = new byte[SpooledPack.ChunkSize];
        long seq = 0;
        bool done = false;
        while (!done)
        {
            using var transaction = store.BeginWrite();
            using var insert = store.Connection.Command("INSERT INTO pack_chunks(pack_id, seq, data) VALUES($pack, $seq, $data)",
                ("$pack", packId), ("$seq", 0L), ("$data", Array.Empty<byte>()));
            for (int i = 0; i < ChunksPerTransaction; i++)
            {
                int n = file.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
                if (n == 0)
                {
                    done = true;
                    break;
                }
                insert.Parameters["$seq"].Value = seq++;
                insert.Parameters["$data"].Value = n == buffer.Length ? buffer : buffer[..n];
                insert.ExecuteNonQuery();
            }
            // The last transaction makes the pack whole: from then on object rows may name it.
            if (done) store.Connection.Execute("UPDATE packs SET size=$size WHERE id=$pack", ("$size", file.Length), ("$pack", packId));
            transaction.Commit();
        }
        return packId;
    }

    /// <summary>Points the index at the copies in <paramref name="packId"/>; the old copies stay readable meanwhile.</summary>
    public void Relocate(long packId, IReadOnlyList<PackedObject> entries)
    {
        for (int start = 0; start < entries.Count; start += RowsPerTransaction)
        {
            using var transaction = store.BeginWrite();
            using var update = store.Connection.Command(
                "INSERT OR REPLACE INTO objects(oid, pack_id, offset, length, type) VALUES($oid, $pack, $offset, $length, $type)",
                ("$oid", Array.Empty<byte>()), ("$pack", packId), ("$offset", 0L), ("$length", 0L), ("$type", 0));
            update.Prepare();
            foreach (var entry in entries.Skip(start).Take(RowsPerTransaction))
            {
                update.Parameters["$oid"].Value = entry.Id.ToBytes();
                update.Parameters["$offset"].Value = entry.Offset;
                update.Parameters["$length"].Value = entry.Length;
                update.Parameters["$type"].Value = (int)entry.Type;
                update.ExecuteNonQuery();
            }
            transaction.Commit();
        }
        store.Objects.ForgetLocations();
    }

    /// <summary>
    /// Retires every pack but <paramref name="keep"/> and drops the index rows of the objects left
    /// in them, which are what nothing reaches. Call inside the sweep's write transaction. Returns
    /// how many objects were dropped.
    /// </summary>
    public long Retire(IReadOnlyCollection<long> keep)
    {
        var kept = string.Join(",", keep);
        var retired = store.Connection.Rows($"SELECT id FROM packs WHERE size >= 0 AND id NOT IN ({kept})").Select(r => r.GetInt64(0)).ToList();
        store.Connection.Execute($"UPDATE packs SET size=-1 WHERE id NOT IN ({kept})");
        long dropped = store.Connection.Scalar<long>($"SELECT count(*) FROM objects WHERE pack_id NOT IN ({kept})");
        store.Connection.Execute($"DELETE FROM objects WHERE pack_id NOT IN ({kept})");
        store.Objects.Forget(retired);
        return dropped;
    }

    public bool AnyRetired() => store.Connection.Scalar<long>("SELECT count(*) FROM packs WHERE size < 0") > 0;

    /// <summary>Deletes the retired packs (and any a killed gc left), a few chunks per transaction.</summary>
    public void DeleteRetired()
    {
        var retired = store.Connection.Rows("SELECT id FROM packs WHERE size < 0").Select(r => r.GetInt64(0)).ToList();
        foreach (long packId in retired)
        {
            while (true)
            {
                using var transaction = store.BeginWrite();
                store.Connection.Execute(
                    "DELETE FROM pack_chunks WHERE rowid IN (SELECT rowid FROM pack_chunks WHERE pack_id=$pack LIMIT $n)",
                    ("$pack", packId), ("$n", ChunksPerTransaction));
                bool empty = store.Connection.Scalar<long>("SELECT changes()") == 0;
                if (empty) store.Connection.Execute("DELETE FROM packs WHERE id=$pack", ("$pack", packId));
                transaction.Commit();
                if (empty) break;
            }
        }
    }

    /// <summary>Hands freed pages back to the file system, a few thousand pages per transaction.</summary>
    public void Vacuum()
    {
        for (int i = 0; i < 1_000_000 && store.Connection.Scalar<long>("PRAGMA freelist_count") > 0; i++)
            store.Connection.Execute("PRAGMA incremental_vacuum(4096)");
    }
}
