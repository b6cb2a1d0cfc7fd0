using Clive.Git;

namespace Clive.Packs;

/// <summary>The header of one pack entry: its type, inflated size and, for deltas, the base.</summary>
public readonly record struct PackEntryHeader(ObjectType Type, long Size, int Length, long BaseOffset, ObjectId BaseId)
{
    public bool IsDelta => Type is ObjectType.OfsDelta or ObjectType.RefDelta;

    public static PackEntryHeader Read(IPackBytes pack, long offset)
    {
        long pos = offset;
        int b = ReadByte(pack, ref pos);
        var type = (ObjectType)((b >> 4) & 7);
        long size = b & 0x0F;
        int shift = 4;
        while ((b & 0x80) != 0)
        {
            b = ReadByte(pack, ref pos);
            if (shift > 56) throw new InvalidPackException("pack entry size is too large");
            size |= (long)(b & 0x7F) << shift;
            shift += 7;
        }
        long baseOffset = 0;
        ObjectId baseId = default;
        switch (type)
        {
            case ObjectType.Commit or ObjectType.Tree or ObjectType.Blob or ObjectType.Tag:
                break;
            case ObjectType.OfsDelta:
                // Git's offset encoding: big-endian base-128 with an implicit +1 per continuation.
                b = ReadByte(pack, ref pos);
                long distance = b & 0x7F;
                while ((b & 0x80) != 0)
                {
                    b = ReadByte(pack, ref pos);
                    if (distance > long.MaxValue >> 8) throw new InvalidPackException("delta base offset overflows");
                    distance = ((distance + 1) << 7) | (long)(b & 0x7F);
                }
                baseOffset = offset - distance;
                if (distance <= 0 || baseOffset < 12) throw new InvalidPackException($"delta at {offset} has a base offset out of range");
                break;
            case ObjectType.RefDelta:
                Span<byte> raw = stackalloc byte[ObjectId.ByteLength];
                for (int i = 0; i < raw.Length; i++) raw[i] = (byte)ReadByte(pack, ref pos);
                baseId = new ObjectId(raw);
                break;
            default:
                throw new InvalidPackException($"pack entry at {offset} has unknown type {(int)type}");
        }
        return new PackEntryHeader(type, size, (int)(pos - offset), baseOffset, baseId);
    }

    private static int ReadByte(IPackBytes pack, ref long pos)
    {
        var span = pack.GetSpan(pos);
        if (span.IsEmpty) throw new InvalidPackException("pack is truncated");
        pos++;
        return span[0];
    }

    /// <summary>Writes a type-and-size header; returns its length.</summary>
    public static int WriteTypeAndSize(Span<byte> destination, ObjectType type, long size)
    {
        int n = 0;
        byte b = (byte)(((int)type << 4) | (int)(size & 0x0F));
        size >>= 4;
        while (size != 0)
        {
            destination[n++] = (byte)(b | 0x80);
            b = (byte)(size & 0x7F);
            size >>= 7;
        }
        destination[n++] = b;
        return n;
    }

    /// <summary>Writes an OFS_DELTA distance in git's encoding; returns its length.</summary>
    public static int WriteOffset(Span<byte> destination, long distance)
    {
        Span<byte> reversed = stackalloc byte[10];
        int n = 0;
        reversed[n++] = (byte)(distance & 0x7F);
        while ((distance >>= 7) != 0)
        {
            distance--;
            reversed[n++] = (byte)(0x80 | (distance & 0x7F));
        }
        for (int i = 0; i < n; i++) destination[i] = reversed[n - 1 - i];
        return n;
    }
}
