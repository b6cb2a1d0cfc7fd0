using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;
using Clive.Git;
using Clive.Store.Objects;

namespace Clive.Packs;

/// <summary>
/// A pack of objects made here (a mount's commit), each stored whole: small, rare, and compacted
/// into deltas by the next gc.
/// </summary>
public sealed class NewObjectsPack
{
    private readonly MemoryStream _bytes = new();
    private readonly List<PackedObject> _index = [];
    private readonly HashSet<ObjectId> _ids = [];
    private readonly Dictionary<ObjectId, byte[]>? _trees;

    /// <param name="keepTrees">Keep the trees added readable (<see cref="TryGetTree"/>), to compare them before they are stored.</param>
    public NewObjectsPack(bool keepTrees = false)
    {
        if (keepTrees) _trees = [];
    }

    public ObjectId Add(ObjectType type, ReadOnlySpan<byte> content)
    {
        var id = ObjectId.HashObject(type, content);
        if (!_ids.Add(id)) return id;
        if (type == ObjectType.Tree) _trees?.Add(id, content.ToArray());
        if (_bytes.Length == 0) _bytes.Write(new byte[12]); // header, filled in by Finish
        long offset = _bytes.Length;
        Span<byte> header = stackalloc byte[16];
        _bytes.Write(header[..PackEntryHeader.WriteTypeAndSize(header, type, content.Length)]);
        Compression.Deflater.Write(_bytes, content, CompressionLevel.Fastest);
        _index.Add(new PackedObject(id, offset, _bytes.Length - offset, type));
        return id;
    }

    public bool IsEmpty => _index.Count == 0;

    /// <summary>A tree added to this pack, if it was made with keepTrees.</summary>
    public bool TryGetTree(ObjectId id, out byte[] content)
    {
        content = [];
        return _trees is not null && _trees.TryGetValue(id, out content!);
    }

    /// <summary>Writes the pack into the store, inside a write transaction (<see cref="Store.RefTransaction.Add(NewObjectsPack)"/>).</summary>
    internal void InsertInto(ObjectDatabase objects)
    {
        if (IsEmpty) return;
        var bytes = _bytes.ToArray();
        "PACK"u8.CopyTo(bytes);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(4), 2);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(8), (uint)_index.Count);
        var pack = new byte[bytes.Length + ObjectId.ByteLength];
        bytes.CopyTo(pack, 0);
        SHA1.HashData(bytes).CopyTo(pack, bytes.Length);
        var chunks = pack.Chunk(SpooledPack.ChunkSize).Select(c => (ReadOnlyMemory<byte>)c);
        objects.Insert(chunks, pack.Length, _index);
    }
}
