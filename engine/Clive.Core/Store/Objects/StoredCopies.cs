using Clive.Git;

namespace Clive.Store.Objects;

/// <summary>
/// Compares an incoming object with the copy the store already holds under the same id. Equal
/// ids with different bytes mean a SHA-1 collision (or a corrupt store): either way the incoming
/// copy must not be accepted as "already there".
/// </summary>
internal static class StoredCopies
{
    private const int BufferSize = 64 * 1024;

    public static void EnsureSame(ObjectDatabase objects, ObjectId id, long newPackId, long newOffset)
    {
        if (!objects.TryLocate(id, out var stored) || stored.PackId == newPackId) return;
        using var old = objects.OpenAt(stored.PackId, stored.Offset, out var oldType);
        using var incoming = objects.OpenAt(newPackId, newOffset, out var newType);
        if (oldType != newType || old.Length != incoming.Length || !SameBytes(old, incoming))
            // git index-pack's words, so that the message is recognised.
            throw new InvalidPackException($"SHA1 COLLISION FOUND WITH {id} ! (the stored object differs from the pushed one)");
    }

    private static bool SameBytes(Stream a, Stream b)
    {
        var x = new byte[BufferSize];
        var y = new byte[BufferSize];
        while (true)
        {
            int n = a.ReadAtLeast(x, x.Length, throwOnEndOfStream: false);
            int m = b.ReadAtLeast(y, y.Length, throwOnEndOfStream: false);
            if (n != m) return false;
            if (n == 0) return true;
            if (!x.AsSpan(0, n).SequenceEqual(y.AsSpan(0, m))) return false;
        }
    }
}
