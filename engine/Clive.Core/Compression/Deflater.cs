using System.IO.Compression;

namespace Clive.Compression;

/// <summary>Writes one complete zlib stream.</summary>
public static class Deflater
{
    // What zlib writes for no input. .NET's ZLibStream writes nothing at all for an empty write,
    // which is not a zlib stream, and git refuses the pack entry ("incorrect header check").
    private static readonly byte[] EmptyStream = [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01];

    public static void Write(Stream destination, ReadOnlySpan<byte> data, CompressionLevel level)
    {
        if (data.IsEmpty)
        {
            destination.Write(EmptyStream);
            return;
        }
        using var deflate = new ZLibStream(destination, level, leaveOpen: true);
        deflate.Write(data);
    }
}
