namespace Clive.Fs;

/// <summary>A file's bytes while it is being written: a growable buffer with a length.</summary>
public sealed class FileBuffer(byte[] initial)
{
    private byte[] _data = initial;

    public long Length { get; private set; } = initial.Length;

    public int Read(long offset, Span<byte> destination)
    {
        if (offset >= Length) return 0;
        int n = (int)Math.Min(destination.Length, Length - offset);
        _data.AsSpan((int)offset, n).CopyTo(destination);
        return n;
    }

    public void Write(long offset, ReadOnlySpan<byte> data)
    {
        long end = offset + data.Length;
        if (end > Array.MaxLength) throw new FsException(FsError.InvalidArgument, "file too large");
        Reserve(end);
        // A write past the end leaves a hole that reads as zeros, not as bytes a truncate cut off.
        if (offset > Length) _data.AsSpan((int)Length, (int)(offset - Length)).Clear();
        data.CopyTo(_data.AsSpan((int)offset));
        if (end > Length) Length = end;
    }

    public void Truncate(long length)
    {
        if (length > Length)
        {
            Reserve(length);
            _data.AsSpan((int)Length, (int)(length - Length)).Clear();
        }
        Length = length;
    }

    public byte[] ToArray() => _data.AsSpan(0, (int)Length).ToArray();

    private void Reserve(long size)
    {
        if (size <= _data.Length) return;
        var grown = new byte[Math.Max(size, Math.Min(Array.MaxLength, _data.Length * 2L))];
        _data.AsSpan(0, (int)Length).CopyTo(grown);
        _data = grown;
    }
}
