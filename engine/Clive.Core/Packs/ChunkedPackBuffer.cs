namespace Clive.Packs;

/// <summary>
/// A pack arriving on a stream, kept in memory in chunks of the size the store writes, and read
/// from the stream only as far as a parser asks: the pack's end is known only by parsing it, and
/// reading further would wait on a peer that has nothing more to send.
/// </summary>
public sealed class ChunkedPackBuffer(Stream source) : IPackBytes
{
    public const int ChunkSize = 1 << 20;

    private readonly List<byte[]> _chunks = [];
    private long _length;
    private bool _sourceEnded;

    public long Length => _length;

    public IReadOnlyList<byte[]> Chunks => _chunks;

    public ReadOnlySpan<byte> GetSpan(long position)
    {
        while (position >= _length)
        {
            if (!Fill()) return ReadOnlySpan<byte>.Empty;
        }
        int chunk = (int)(position / ChunkSize);
        int start = (int)(position % ChunkSize);
        int end = (int)Math.Min(ChunkSize, _length - (long)chunk * ChunkSize);
        return _chunks[chunk].AsSpan(start, end - start);
    }

    /// <summary>Cuts the buffer at <paramref name="length"/>: bytes past the pack's end are not its.</summary>
    public void Truncate(long length)
    {
        if (length > _length) throw new ArgumentOutOfRangeException(nameof(length));
        _length = length;
        int chunks = (int)((length + ChunkSize - 1) / ChunkSize);
        _chunks.RemoveRange(chunks, _chunks.Count - chunks);
    }

    /// <summary>The bytes of chunk <paramref name="index"/> that belong to the pack.</summary>
    public ReadOnlyMemory<byte> Chunk(int index)
        => _chunks[index].AsMemory(0, (int)Math.Min(ChunkSize, _length - (long)index * ChunkSize));

    private bool Fill()
    {
        if (_sourceEnded) return false;
        int inLast = (int)(_length % ChunkSize);
        if (inLast == 0 && _length == (long)_chunks.Count * ChunkSize) _chunks.Add(new byte[ChunkSize]);
        var last = _chunks[^1];
        int read = source.Read(last, inLast, ChunkSize - inLast);
        if (read == 0)
        {
            _sourceEnded = true;
            return false;
        }
        _length += read;
        return true;
    }
}
