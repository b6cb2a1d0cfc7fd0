using System.Security.Cryptography;
using Clive.Git;

namespace Clive.Packs;

/// <summary>
/// A pack arriving on a stream, spooled to a temporary file as it is parsed, so that a push costs
/// a few MiB of memory whatever its size. It is read from the stream only as far as a parser asks:
/// the pack's end is known only by parsing it, and reading further would wait on a peer that has
/// nothing more to send. Bytes already spooled are read back from the file through a small cache.
/// </summary>
public sealed class SpooledPack : IPackBytes, IDisposable
{
    /// <summary>The size of the chunks the store keeps a pack in.</summary>
    public const int ChunkSize = 1 << 20;

    // Read-back granularity: deltas and their bases are read back at random, a page at a time.
    private const int PageSize = 64 << 10;
    private const int CachedPages = 64;

    private readonly Stream _source;
    private readonly long _maxLength;
    private readonly string _limitMessage;
    private readonly FileStream _file;
    // Bytes [_tailStart, _length) are received and not yet in the file; _tailStart is always a
    // multiple of ChunkSize, so every page below it is complete in the file.
    private readonly byte[] _tail = new byte[ChunkSize];
    private long _tailStart;
    private long _length;
    private bool _complete;
    private readonly Dictionary<long, LinkedListNode<(long Page, byte[] Data, int Length)>> _pages = [];
    private readonly LinkedList<(long Page, byte[] Data, int Length)> _pageOrder = new();
    // The pack's checksum, hashed as bytes go by; the last 20 received may be the trailer, so
    // hashing always lags that far behind until the pack's end is known. Plain SHA-1, not the
    // collision-detecting one: this checksum catches damage in transit, and names nothing. Every
    // object inside is hashed with detection (ObjectId), so a colliding pack gains an attacker nothing.
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
    private long _hashed;

    /// <summary>
    /// Spools into a new file in <paramref name="directory"/> (created private). The file is
    /// unlinked as soon as it is open: only this process can reach it, and nothing is left behind
    /// even if the process is killed.
    /// </summary>
    public SpooledPack(Stream source, string directory, long maxLength = long.MaxValue, string limitMessage = "pack is too large")
    {
        _source = source;
        _maxLength = maxLength;
        _limitMessage = limitMessage;
        var path = Path.Combine(directory, $"incoming-{Environment.ProcessId}-{Guid.NewGuid():N}.pack");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.ReadWrite, Share = FileShare.None, BufferSize = 0 };
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
        }
        else
        {
            // Others' pushes must not be readable by anyone else on the host, even for a moment.
            const UnixFileMode privateDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
            Directory.CreateDirectory(directory, privateDirectory);
            File.SetUnixFileMode(directory, privateDirectory);
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        _file = new FileStream(path, options);
        File.Delete(path);
    }

    public long Length => _length;

    public ReadOnlySpan<byte> GetSpan(long position)
    {
        while (position >= _length)
        {
            if (!Fill()) return ReadOnlySpan<byte>.Empty;
        }
        if (position >= _tailStart) return _tail.AsSpan((int)(position - _tailStart), (int)(_length - position));
        var (page, data, length) = Page(position / PageSize);
        int start = (int)(position - page * PageSize);
        return data.AsSpan(start, length - start);
    }

    /// <summary>
    /// Ends the pack at <paramref name="trailerStart"/> plus its 20-byte trailer (bytes past it
    /// are not its), puts everything in the file, and returns the checksum of the bytes before
    /// the trailer.
    /// </summary>
    public byte[] Complete(long trailerStart)
    {
        long length = trailerStart + ObjectId.ByteLength;
        if (_complete || length > _length || trailerStart < _hashed) throw new InvalidOperationException("the pack was already completed or is shorter");
        HashTo(trailerStart);
        _length = length;
        RandomAccess.Write(_file.SafeFileHandle, _tail.AsSpan(0, (int)(_length - _tailStart)), _tailStart);
        _file.SetLength(_length);
        _tailStart = _length;
        _complete = true;
        return _hash.GetHashAndReset();
    }

    /// <summary>The completed pack in the store's chunks, read from the file one chunk at a time.</summary>
    public IEnumerable<ReadOnlyMemory<byte>> Chunks()
    {
        if (!_complete) throw new InvalidOperationException("the pack is not complete");
        for (long position = 0; position < _length; position += ChunkSize)
        {
            var chunk = new byte[Math.Min(ChunkSize, _length - position)];
            ReadFile(chunk, position);
            yield return chunk;
        }
    }

    private bool Fill()
    {
        if (_complete) return false;
        if (_length - _tailStart == ChunkSize)
        {
            HashTo(_length - ObjectId.ByteLength);
            RandomAccess.Write(_file.SafeFileHandle, _tail, _tailStart);
            _tailStart = _length;
        }
        int inTail = (int)(_length - _tailStart);
        int read = _source.Read(_tail, inTail, ChunkSize - inTail);
        if (read == 0) return false;
        if (_length + read > _maxLength) throw new InvalidPackException(_limitMessage);
        _length += read;
        return true;
    }

    /// <summary>Hashes the bytes up to <paramref name="end"/>: from the tail, or the file for the few just before it.</summary>
    private void HashTo(long end)
    {
        while (_hashed < end)
        {
            var span = GetSpan(_hashed);
            int n = (int)Math.Min(span.Length, end - _hashed);
            _hash.AppendData(span[..n]);
            _hashed += n;
        }
    }

    private (long Page, byte[] Data, int Length) Page(long page)
    {
        if (_pages.TryGetValue(page, out var node))
        {
            _pageOrder.Remove(node);
            _pageOrder.AddFirst(node);
            return node.Value;
        }
        byte[] data;
        if (_pages.Count >= CachedPages)
        {
            var oldest = _pageOrder.Last!;
            _pageOrder.RemoveLast();
            _pages.Remove(oldest.Value.Page);
            data = oldest.Value.Data;
        }
        else
        {
            data = new byte[PageSize];
        }
        long start = page * PageSize;
        int length = (int)Math.Min(PageSize, _tailStart - start);
        ReadFile(data.AsSpan(0, length), start);
        var entry = (page, data, length);
        _pages[page] = _pageOrder.AddFirst(entry);
        return entry;
    }

    private void ReadFile(Span<byte> destination, long position)
    {
        int filled = 0;
        while (filled < destination.Length)
        {
            int n = RandomAccess.Read(_file.SafeFileHandle, destination[filled..], position + filled);
            if (n == 0) throw new IOException("the spooled pack is shorter than written");
            filled += n;
        }
    }

    public void Dispose()
    {
        _file.Dispose();
        _hash.Dispose();
    }
}
