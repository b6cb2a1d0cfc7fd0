using Clive.Packs;

namespace Clive.Store.Objects;

/// <summary>A pack kept in the store, read through the chunk cache.</summary>
internal sealed class StoredPack(long id, ChunkCache chunks) : IPackBytes
{
    public long Id { get; } = id;

    public ReadOnlySpan<byte> GetSpan(long position)
    {
        long seq = position / SpooledPack.ChunkSize;
        var chunk = chunks.Get(Id, seq);
        int start = (int)(position % SpooledPack.ChunkSize);
        return start < chunk.Length ? chunk.AsSpan(start) : ReadOnlySpan<byte>.Empty;
    }
}
