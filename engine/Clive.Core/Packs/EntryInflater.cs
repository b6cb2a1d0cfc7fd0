using Clive.Git.Sha1;
using Clive.Compression;

namespace Clive.Packs;

/// <summary>Inflates the deflate stream of one pack entry, checking its declared size.</summary>
public static class EntryInflater
{
    /// <summary>Inflates into a new array; returns the number of compressed bytes used.</summary>
    public static byte[] Inflate(Inflater inflater, IPackBytes pack, long position, long size, out long compressedLength)
    {
        if (size > Array.MaxLength) throw new InvalidPackException($"object of {size} bytes is too large");
        var output = new byte[size];
        compressedLength = Run(inflater, pack, position, output);
        return output;
    }

    /// <summary>Inflates only the first <paramref name="count"/> bytes of an entry (a delta's header).</summary>
    public static byte[] InflatePrefix(Inflater inflater, IPackBytes pack, long position, int count)
    {
        inflater.Reset();
        var output = new byte[count];
        int filled = 0;
        long pos = position;
        while (filled < count)
        {
            var input = pack.GetSpan(pos);
            bool end = inflater.Inflate(input, output.AsSpan(filled), out int consumed, out int produced);
            pos += consumed;
            filled += produced;
            if (end || (consumed == 0 && produced == 0)) break;
        }
        return output[..filled];
    }

    /// <summary>
    /// Inflates into a hash (or nowhere, to find the entry's end) without keeping the bytes;
    /// returns the compressed length.
    /// </summary>
    public static long InflateInto(Inflater inflater, IPackBytes pack, long position, long size, CollisionDetectingSha1? hash)
    {
        var scratch = System.Buffers.ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            long remaining = size;
            long pos = position;
            inflater.Reset();
            var overflow = new byte[1];
            while (true)
            {
                var input = pack.GetSpan(pos);
                var output = remaining > 0 ? scratch.AsSpan(0, (int)Math.Min(remaining, scratch.Length)) : overflow.AsSpan();
                bool end = inflater.Inflate(input, output, out int consumed, out int produced);
                pos += consumed;
                if (remaining == 0 && produced > 0) throw new InvalidPackException($"object at {position} is longer than its header says");
                hash?.Append(output[..produced]);
                remaining -= produced;
                if (end)
                {
                    if (remaining != 0) throw new InvalidPackException($"object at {position} is shorter than its header says");
                    return pos - position;
                }
                if (consumed == 0 && produced == 0 && input.IsEmpty) throw new InvalidPackException("pack is truncated");
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    private static long Run(Inflater inflater, IPackBytes pack, long position, byte[] output)
    {
        inflater.Reset();
        long pos = position;
        int filled = 0;
        Span<byte> overflow = stackalloc byte[1];
        while (true)
        {
            var input = pack.GetSpan(pos);
            var target = filled < output.Length ? output.AsSpan(filled) : overflow;
            bool end = inflater.Inflate(input, target, out int consumed, out int produced);
            pos += consumed;
            if (filled == output.Length && produced > 0) throw new InvalidPackException($"object at {position} is longer than its header says");
            filled += produced;
            if (end)
            {
                if (filled != output.Length) throw new InvalidPackException($"object at {position} is shorter than its header says");
                return pos - position;
            }
            if (consumed == 0 && produced == 0 && input.IsEmpty) throw new InvalidPackException("pack is truncated");
        }
    }
}
