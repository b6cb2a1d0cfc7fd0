using Microsoft.Data.Sqlite;

namespace Clive.Store.Objects;

/// <summary>A pack that was there when an object's location was learnt has since been deleted by gc.</summary>
internal sealed class PackGoneException(long packId) : CliveException($"pack {packId} was deleted by gc while it was being read");

/// <summary>
/// Recently read pack chunks. Chunks never change once written, so the cache needs no
/// invalidation; it is bounded and evicts oldest first.
/// </summary>
internal sealed class ChunkCache(SqliteConnection connection, long budgetBytes = 256L << 20) : IDisposable
{
    private readonly Dictionary<(long Pack, long Seq), byte[]> _chunks = [];
    private readonly Queue<(long Pack, long Seq)> _order = new();
    private long _bytes;
    private SqliteCommand? _select;

    public byte[] Get(long packId, long seq)
    {
        if (_chunks.TryGetValue((packId, seq), out var cached)) return cached;
        _select ??= connection.Command("SELECT data FROM pack_chunks WHERE pack_id=$pack AND seq=$seq",
            ("$pack", 0L), ("$seq", 0L));
        _select.Parameters["$pack"].Value = packId;
        _select.Parameters["$seq"].Value = seq;
        var data = _select.ExecuteScalar() as byte[] ?? EndOf(packId);
        while (_bytes + data.Length > budgetBytes && _order.TryDequeue(out var oldest))
        {
            if (_chunks.Remove(oldest, out var evicted)) _bytes -= evicted.Length;
        }
        _chunks[(packId, seq)] = data;
        _order.Enqueue((packId, seq));
        _bytes += data.Length;
        return data;
    }

    /// <summary>
    /// No chunk: past the end of the pack (read as empty), or the whole pack is gone, retired or
    /// deleted by a gc in another process after this one learnt where an object was.
    /// </summary>
    private byte[] EndOf(long packId)
        => connection.Scalar<long>("SELECT count(*) FROM packs WHERE id=$pack AND size >= 0", ("$pack", packId)) > 0 ? [] : throw new PackGoneException(packId);

    /// <summary>Forgets a deleted pack's chunks (gc reuses no ids, but be exact anyway).</summary>
    public void Forget(long packId)
    {
        foreach (var key in _chunks.Keys.Where(k => k.Pack == packId).ToList())
        {
            _bytes -= _chunks[key].Length;
            _chunks.Remove(key);
        }
    }

    public void Dispose() => _select?.Dispose();
}
