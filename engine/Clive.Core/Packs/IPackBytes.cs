namespace Clive.Packs;

/// <summary>
/// Random access to the bytes of one pack, wherever they live: a pack arriving over the wire, or
/// a pack kept in the store as chunks.
/// </summary>
public interface IPackBytes
{
    /// <summary>
    /// Bytes from <paramref name="position"/> on: at least one unless the pack ends there, and
    /// possibly fewer than remain (a span never crosses a chunk).
    /// </summary>
    ReadOnlySpan<byte> GetSpan(long position);
}
