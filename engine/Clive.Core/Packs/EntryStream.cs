using Clive.Compression;

namespace Clive.Packs;

/// <summary>
/// A stored object's content inflated on demand, front to back: reading a 1 GiB file costs one
/// pass over its compressed bytes and no more memory than the buffers in flight.
/// </summary>
public sealed class EntryStream(IPackBytes pack, long dataStart, long size) : Stream
{
    private readonly Inflater _inflater = new();
    private long _input = dataStart;
    private long _position;
    private bool _started;

    public override long Length => size;

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException("an entry stream reads forward only");
    }

    public override int Read(Span<byte> buffer)
    {
        if (!_started)
        {
            _inflater.Reset();
            _started = true;
        }
        int filled = 0;
        while (filled < buffer.Length && _position < size)
        {
            var input = pack.GetSpan(_input);
            int want = (int)Math.Min(buffer.Length - filled, size - _position);
            bool end = _inflater.Inflate(input, buffer.Slice(filled, want), out int consumed, out int produced);
            _input += consumed;
            _position += produced;
            filled += produced;
            if (end) break;
            if (consumed == 0 && produced == 0) throw new InvalidPackException("a stored object is truncated");
        }
        return filled;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    protected override void Dispose(bool disposing)
    {
        if (disposing) _inflater.Dispose();
        base.Dispose(disposing);
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
