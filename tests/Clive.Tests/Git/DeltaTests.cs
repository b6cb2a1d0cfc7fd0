using Clive.Packs;
using Xunit;

namespace Clive.Tests.Git;

public sealed class DeltaTests
{
    [Fact]
    public void Apply_CopiesAndInserts()
    {
        var baseData = "hello world"u8.ToArray();
        // base size 11, result size 11; copy offset 0 size 6 ("hello "); insert "clive".
        byte[] delta = [11, 11, 0x90, 6, 5, (byte)'c', (byte)'l', (byte)'i', (byte)'v', (byte)'e'];
        Assert.Equal("hello clive"u8.ToArray(), Delta.Apply(baseData, delta));
    }

    [Fact]
    public void Apply_OutOfRangeCopy_IsInvalidPack()
        => Assert.Throws<Clive.InvalidPackException>(() => Delta.Apply("abc"u8, [3, 10, 0x91, 2, 10]));

    [Fact]
    public void Apply_WrongBaseSize_IsInvalidPack()
        => Assert.Throws<Clive.InvalidPackException>(() => Delta.Apply("abc"u8, [4, 1, 1, (byte)'x']));

    [Theory]
    [InlineData(1L)]
    [InlineData(127L)]
    [InlineData(128L)]
    [InlineData(16511L)]
    [InlineData(123456789L)]
    public void OfsDeltaDistance_RoundTripsThroughGitsEncoding(long distance)
    {
        var bytes = new byte[16];
        int n = PackEntryHeader.WriteTypeAndSize(bytes, Clive.Git.ObjectType.OfsDelta, 42);
        n += PackEntryHeader.WriteOffset(bytes.AsSpan(n), distance);
        // The entry sits `distance` bytes after the first entry (offset 12, just past the pack header).
        var entryOffset = distance + 12;
        var source = new OffsetBytes(bytes, entryOffset);
        var header = PackEntryHeader.Read(source, entryOffset);
        Assert.Equal(42, header.Size);
        Assert.Equal(12, header.BaseOffset);
        Assert.Equal(n, header.Length);
    }

    /// <summary>Bytes that appear at a given position of an otherwise empty pack.</summary>
    private sealed class OffsetBytes(byte[] bytes, long at) : IPackBytes
    {
        public ReadOnlySpan<byte> GetSpan(long position)
            => position >= at && position < at + bytes.Length ? bytes.AsSpan((int)(position - at)) : ReadOnlySpan<byte>.Empty;
    }
}
