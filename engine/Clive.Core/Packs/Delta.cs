namespace Clive.Packs;

/// <summary>Git's delta format: two sizes, then copy-from-base and insert instructions.</summary>
public static class Delta
{
    public static long ResultSize(ReadOnlySpan<byte> delta)
    {
        int pos = 0;
        ReadSize(delta, ref pos);
        return ReadSize(delta, ref pos);
    }

    public static byte[] Apply(ReadOnlySpan<byte> baseData, ReadOnlySpan<byte> delta)
    {
        int pos = 0;
        long baseSize = ReadSize(delta, ref pos);
        long resultSize = ReadSize(delta, ref pos);
        if (baseSize != baseData.Length) throw new InvalidPackException("delta base size does not match its base");
        if (resultSize > Array.MaxLength) throw new InvalidPackException("delta result is too large");
        var result = new byte[resultSize];
        int outPos = 0;
        while (pos < delta.Length)
        {
            byte cmd = delta[pos++];
            if ((cmd & 0x80) != 0)
            {
                long copyOffset = 0, copySize = 0;
                for (int i = 0; i < 4; i++)
                    if ((cmd & (1 << i)) != 0) copyOffset |= (long)Next(delta, ref pos) << (8 * i);
                for (int i = 0; i < 3; i++)
                    if ((cmd & (0x10 << i)) != 0) copySize |= (long)Next(delta, ref pos) << (8 * i);
                if (copySize == 0) copySize = 0x10000;
                if (copyOffset + copySize > baseData.Length || outPos + copySize > result.Length)
                    throw new InvalidPackException("delta copies out of range");
                baseData.Slice((int)copyOffset, (int)copySize).CopyTo(result.AsSpan(outPos));
                outPos += (int)copySize;
            }
            else if (cmd != 0)
            {
                if (pos + cmd > delta.Length || outPos + cmd > result.Length) throw new InvalidPackException("delta inserts out of range");
                delta.Slice(pos, cmd).CopyTo(result.AsSpan(outPos));
                pos += cmd;
                outPos += cmd;
            }
            else
            {
                throw new InvalidPackException("delta has a reserved instruction");
            }
        }
        if (outPos != result.Length) throw new InvalidPackException("delta result is shorter than declared");
        return result;
    }

    private static byte Next(ReadOnlySpan<byte> delta, ref int pos)
    {
        if (pos >= delta.Length) throw new InvalidPackException("delta is truncated");
        return delta[pos++];
    }

    private static long ReadSize(ReadOnlySpan<byte> delta, ref int pos)
    {
        long size = 0;
        int shift = 0;
        byte b;
        do
        {
            b = Next(delta, ref pos);
            size |= (long)(b & 0x7F) << shift;
            shift += 7;
            if (shift > 63) throw new InvalidPackException("delta size overflows");
        } while ((b & 0x80) != 0);
        return size;
    }
}
