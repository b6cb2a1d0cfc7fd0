using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;
using Clive.Git;
using Clive.Packs;

namespace Clive.Tests.Fixtures;

/// <summary>
/// Writes a pack byte by byte, as an attacker (or a test that needs hundreds of MiB fast) would:
/// whole objects stored without compression, OFS deltas, and any object count in the header.
/// </summary>
public sealed class PackBuilder : IDisposable
{
    private readonly Stream _output;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
    private long _position;

    public PackBuilder(Stream output, uint declaredCount)
    {
        _output = output;
        var header = new byte[12];
        "PACK"u8.CopyTo(header);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), 2);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(8), declaredCount);
        Write(header);
    }

    /// <summary>Adds a whole object; returns its entry's offset.</summary>
    public long AddWhole(ObjectType type, ReadOnlySpan<byte> data)
    {
        long offset = _position;
        Span<byte> header = stackalloc byte[16];
        Write(header[..PackEntryHeader.WriteTypeAndSize(header, type, data.Length)]);
        WriteDeflated(data);
        return offset;
    }

    /// <summary>Adds an OFS delta on the entry at <paramref name="baseOffset"/>; returns its entry's offset.</summary>
    public long AddOfsDelta(long baseOffset, ReadOnlySpan<byte> delta)
    {
        long offset = _position;
        Span<byte> header = stackalloc byte[32];
        int n = PackEntryHeader.WriteTypeAndSize(header, ObjectType.OfsDelta, delta.Length);
        n += PackEntryHeader.WriteOffset(header[n..], offset - baseOffset);
        Write(header[..n]);
        WriteDeflated(delta);
        return offset;
    }

    /// <summary>A delta that keeps the first <paramref name="keep"/> bytes of a base of <paramref name="baseSize"/> and appends <paramref name="tail"/>.</summary>
    public static byte[] KeepPrefixDelta(long baseSize, long keep, ReadOnlySpan<byte> tail)
    {
        var delta = new MemoryStream();
        WriteSize(delta, baseSize);
        WriteSize(delta, keep + tail.Length);
        for (long at = 0; at < keep; at += 1 << 20)
        {
            long size = Math.Min(1 << 20, keep - at);
            // Copy: offset in up to 4 bytes, size in up to 3, each present byte flagged in the command.
            var args = new List<byte>();
            byte cmd = 0x80;
            for (int i = 0; i < 4; i++)
                if (((at >> (8 * i)) & 0xFF) != 0) { cmd |= (byte)(1 << i); args.Add((byte)(at >> (8 * i))); }
            for (int i = 0; i < 3; i++)
                if (((size >> (8 * i)) & 0xFF) != 0) { cmd |= (byte)(0x10 << i); args.Add((byte)(size >> (8 * i))); }
            delta.WriteByte(cmd);
            delta.Write(args.ToArray());
        }
        for (int at = 0; at < tail.Length; at += 127)
        {
            int size = Math.Min(127, tail.Length - at);
            delta.WriteByte((byte)size);
            delta.Write(tail.Slice(at, size));
        }
        return delta.ToArray();
    }

    /// <summary>Writes the trailer: the SHA-1 of everything before it.</summary>
    public void Finish()
    {
        var digest = _hash.GetHashAndReset();
        _output.Write(digest);
        _output.Flush();
    }

    public void Dispose() => _hash.Dispose();

    private void WriteDeflated(ReadOnlySpan<byte> data)
    {
        // Stored blocks: zlib's framing without the cost of compressing hundreds of MiB.
        var deflated = new MemoryStream();
        Clive.Compression.Deflater.Write(deflated, data, CompressionLevel.NoCompression);
        Write(deflated.GetBuffer().AsSpan(0, (int)deflated.Length));
    }

    private void Write(ReadOnlySpan<byte> bytes)
    {
        _output.Write(bytes);
        _hash.AppendData(bytes);
        _position += bytes.Length;
    }

    private static void WriteSize(Stream stream, long size)
    {
        do
        {
            byte b = (byte)(size & 0x7F);
            size >>= 7;
            stream.WriteByte(size != 0 ? (byte)(b | 0x80) : b);
        } while (size != 0);
    }
}
