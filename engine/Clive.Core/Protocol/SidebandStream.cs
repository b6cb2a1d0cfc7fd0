using System.Text;

namespace Clive.Protocol;

/// <summary>
/// A write-only stream that frames what is written as sideband packets on band 1 (pack data),
/// in packets as large as the protocol allows; <see cref="Progress"/> sends band 2 lines.
/// </summary>
public sealed class SidebandStream(PktLineWriter writer, bool progressEnabled) : Stream
{
    private readonly byte[] _buffer = new byte[PktLineWriter.MaxSidebandData];
    private int _filled;

    public Action<string>? Progress => progressEnabled ? SendProgress : null;

    private void SendProgress(string text)
    {
        FlushData();
        writer.WriteBand(2, Encoding.UTF8.GetBytes(text));
        writer.BaseStream.Flush();
    }

    public override void Write(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            int n = Math.Min(data.Length, _buffer.Length - _filled);
            data[..n].CopyTo(_buffer.AsSpan(_filled));
            _filled += n;
            data = data[n..];
            if (_filled == _buffer.Length) FlushData();
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Flush()
    {
        FlushData();
        writer.BaseStream.Flush();
    }

    private void FlushData()
    {
        if (_filled == 0) return;
        writer.WriteBand(1, _buffer.AsSpan(0, _filled));
        _filled = 0;
    }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
