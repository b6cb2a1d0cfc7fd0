using System.IO.Compression;
using System.Numerics;
using Clive.Git;
using Clive.Store.Objects;

namespace Clive.Transfer;

/// <summary>
/// A set of stored objects as one bit per <see cref="ObjectNumbering"/> number. Saved as each
/// pack's words with the pack's id and row count, deflated: read back against a numbering whose
/// packs have changed (gc moved the objects), it is refused rather than misread.
/// </summary>
public sealed class ReachBitmap
{
    private readonly ulong[] _words;

    public ReachBitmap(int size) => _words = new ulong[(size + 63) / 64];

    private ReachBitmap(ulong[] words) => _words = words;

    public bool Get(int number) => (_words[number >> 6] & (1UL << (number & 63))) != 0;

    /// <summary>Sets a bit; false when it was set already.</summary>
    public bool Set(int number)
    {
        ref ulong word = ref _words[number >> 6];
        ulong bit = 1UL << (number & 63);
        if ((word & bit) != 0) return false;
        word |= bit;
        return true;
    }

    public void Or(ReachBitmap other)
    {
        for (int i = 0; i < _words.Length; i++) _words[i] |= other._words[i];
    }

    public ReachBitmap Copy() => new((ulong[])_words.Clone());

    public int Count()
    {
        int count = 0;
        foreach (var word in _words) count += BitOperations.PopCount(word);
        return count;
    }

    /// <summary>The objects in the set.</summary>
    public List<ObjectId> Ids(ObjectNumbering numbering)
    {
        var ids = new List<ObjectId>(Count());
        for (int w = 0; w < _words.Length; w++)
        {
            for (ulong word = _words[w]; word != 0; word &= word - 1)
                ids.Add(numbering.IdAt(w * 64 + BitOperations.TrailingZeroCount(word)));
        }
        return ids;
    }

    public byte[] Serialize(ObjectNumbering numbering)
    {
        using var buffer = new MemoryStream();
        using (var deflate = new DeflateStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        using (var writer = new BinaryWriter(deflate))
        {
            foreach (var pack in numbering.Packs)
            {
                int firstWord = pack.First / 64, wordCount = (pack.Count + 63) / 64;
                if (Array.FindIndex(_words, firstWord, wordCount, w => w != 0) < 0) continue;
                writer.Write(pack.PackId);
                writer.Write(pack.Count);
                for (int i = 0; i < wordCount; i++) writer.Write(_words[firstWord + i]);
            }
        }
        return buffer.ToArray();
    }

    /// <summary>A saved set, or null when a pack it names is gone or holds other rows now (its numbers would mean other objects).</summary>
    public static ReachBitmap? Deserialize(byte[] data, ObjectNumbering numbering)
    {
        var bitmap = new ReachBitmap(numbering.Size);
        try
        {
            using var reader = new BinaryReader(new DeflateStream(new MemoryStream(data, writable: false), CompressionMode.Decompress));
            while (true)
            {
                long packId;
                try { packId = reader.ReadInt64(); }
                catch (EndOfStreamException) { return bitmap; }
                int count = reader.ReadInt32();
                if (!numbering.TryGetPack(packId, out var pack) || pack.Count != count) return null;
                int firstWord = pack.First / 64, wordCount = (count + 63) / 64;
                for (int i = 0; i < wordCount; i++) bitmap._words[firstWord + i] = reader.ReadUInt64();
            }
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException)
        {
            return null;
        }
    }
}
