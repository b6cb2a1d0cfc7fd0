using System.Buffers.Binary;
using System.Security.Cryptography;
using Clive.Compression;
using Clive.Git;
using Clive.Progress;

namespace Clive.Packs;

/// <summary>One object of a received pack, once its id is known.</summary>
public struct IndexedEntry
{
    public long Offset;
    public long Length;
    public PackEntryHeader Header;
    public ObjectType Type;
    public ObjectId Id;
    public bool Resolved;
}

/// <summary>A received pack whose every object has been hashed, checked and located.</summary>
public sealed class IndexedPack(ChunkedPackBuffer bytes, IndexedEntry[] entries, Dictionary<ObjectId, int> byId)
{
    public ChunkedPackBuffer Bytes { get; } = bytes;
    public IReadOnlyList<IndexedEntry> Entries => entries;
    public long Length => Bytes.Length;
    public bool Contains(ObjectId id) => byId.ContainsKey(id);
}

/// <summary>
/// Reads a pack from a stream and verifies it the way <c>git index-pack --strict --fix-thin</c>
/// does: trailer checksum, every object's hash, fsck rules for every tree, commit and tag, deltas
/// resolved (thin-pack bases from the store), and every object that a new object refers to present
/// either in the pack or in the store. Throws <see cref="CliveException"/> on the first problem,
/// before anything has been written.
/// </summary>
public sealed class PackIndexer(IObjectSource store, Action<string>? progress = null)
{
    private const int HeaderLength = 12;
    private readonly Inflater _inflater = new();
    private readonly HashSet<ObjectId> _referenced = [];

    /// <summary>The ids that the objects indexed so far refer to (a source can take the commits among them as hints).</summary>
    public IReadOnlyCollection<ObjectId> Referenced => _referenced;

    public IndexedPack Index(Stream input)
    {
        try
        {
            var buffer = new ChunkedPackBuffer(input);
            var entries = ReadEntries(buffer);
            var byId = ResolveDeltas(buffer, entries);
            CheckReferences(byId);
            return new IndexedPack(buffer, entries, byId);
        }
        finally
        {
            _inflater.Dispose();
        }
    }

    private IndexedEntry[] ReadEntries(ChunkedPackBuffer buffer)
    {
        Span<byte> header = stackalloc byte[HeaderLength];
        ReadExactly(buffer, 0, header);
        if (!header[..4].SequenceEqual("PACK"u8)) throw new InvalidPackException("not a pack (bad signature)");
        uint version = BinaryPrimitives.ReadUInt32BigEndian(header[4..]);
        if (version is not (2 or 3)) throw new InvalidPackException($"unsupported pack version {version}");
        uint count = BinaryPrimitives.ReadUInt32BigEndian(header[8..]);
        if (count > 1u << 30) throw new InvalidPackException("pack claims too many objects");

        var entries = new IndexedEntry[count];
        var meter = ProgressMeter.Start("Unpacking objects", count, progress);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        Span<byte> objectHeader = stackalloc byte[32];
        Span<byte> digest = stackalloc byte[ObjectId.ByteLength];
        long pos = HeaderLength;
        for (int i = 0; i < count; i++)
        {
            var entryHeader = PackEntryHeader.Read(buffer, pos);
            long dataPos = pos + entryHeader.Length;
            ref var entry = ref entries[i];
            entry.Offset = pos;
            entry.Header = entryHeader;
            long compressed;
            if (entryHeader.IsDelta)
            {
                compressed = EntryInflater.InflateInto(_inflater, buffer, dataPos, entryHeader.Size, null);
            }
            else if (entryHeader.Type == ObjectType.Blob)
            {
                // Blobs can be huge and nothing needs their bytes now: hash them as they inflate.
                hash.AppendData(objectHeader[..ObjectHeader.Write(objectHeader, ObjectType.Blob, entryHeader.Size)]);
                compressed = EntryInflater.InflateInto(_inflater, buffer, dataPos, entryHeader.Size, hash);
                hash.GetHashAndReset(digest);
                entry.Id = new ObjectId(digest);
                entry.Type = ObjectType.Blob;
                entry.Resolved = true;
            }
            else
            {
                var data = EntryInflater.Inflate(_inflater, buffer, dataPos, entryHeader.Size, out compressed);
                Accept(ref entry, entryHeader.Type, data);
            }
            entry.Length = entryHeader.Length + compressed;
            pos += entry.Length;
            meter?.Report(i + 1);
        }
        meter?.Done();

        Span<byte> trailer = stackalloc byte[ObjectId.ByteLength];
        ReadExactly(buffer, pos, trailer);
        if (!ChecksumOf(buffer, pos).AsSpan().SequenceEqual(trailer))
            throw new InvalidPackException("pack checksum does not match its contents");
        buffer.Truncate(pos + ObjectId.ByteLength);
        return entries;
    }

    private void Accept(ref IndexedEntry entry, ObjectType type, byte[] data)
    {
        try
        {
            ObjectValidator.Validate(type, data, (id, _) => _referenced.Add(id));
        }
        catch (InvalidObjectException e)
        {
            throw new InvalidObjectException($"object {ObjectId.HashObject(type, data)}: {e.Message}");
        }
        entry.Id = ObjectId.HashObject(type, data);
        entry.Type = type;
        entry.Resolved = true;
    }

    private Dictionary<ObjectId, int> ResolveDeltas(ChunkedPackBuffer buffer, IndexedEntry[] entries)
    {
        var byOffset = new Dictionary<long, int>(entries.Length);
        for (int i = 0; i < entries.Length; i++) byOffset[entries[i].Offset] = i;

        var ofsChildren = new Dictionary<long, List<int>>();
        var refChildren = new Dictionary<ObjectId, List<int>>();
        int deltas = 0;
        for (int i = 0; i < entries.Length; i++)
        {
            var h = entries[i].Header;
            if (h.Type == ObjectType.OfsDelta)
            {
                if (!byOffset.ContainsKey(h.BaseOffset)) throw new InvalidPackException($"delta at {entries[i].Offset} has no object at its base offset");
                Add(ofsChildren, h.BaseOffset, i);
                deltas++;
            }
            else if (h.Type == ObjectType.RefDelta)
            {
                Add(refChildren, h.BaseId, i);
                deltas++;
            }
        }

        var meter = deltas > 0 ? ProgressMeter.Start("Resolving deltas", deltas, progress) : null;
        int resolved = 0;
        var pending = new Stack<(int Child, ObjectType Type, byte[] Base)>();

        void QueueChildren(long offset, ObjectId id, ObjectType type, Func<byte[]> baseData)
        {
            List<int>? byOfs = null, byRef = null;
            bool any = (offset >= 0 && ofsChildren.Remove(offset, out byOfs)) | refChildren.Remove(id, out byRef);
            if (!any) return;
            var data = baseData();
            foreach (var child in byOfs ?? []) pending.Push((child, type, data));
            foreach (var child in byRef ?? []) pending.Push((child, type, data));
        }

        void Drain()
        {
            while (pending.TryPop(out var item))
            {
                ref var child = ref entries[item.Child];
                var delta = EntryInflater.Inflate(_inflater, buffer, child.Offset + child.Header.Length, child.Header.Size, out _);
                var data = Delta.Apply(item.Base, delta);
                Accept(ref child, item.Type, data);
                meter?.Report(++resolved);
                QueueChildren(child.Offset, child.Id, item.Type, () => data);
            }
        }

        for (int i = 0; i < entries.Length; i++)
        {
            if (entries[i].Header.IsDelta) continue;
            int index = i;
            QueueChildren(entries[i].Offset, entries[i].Id, entries[i].Type,
                () => EntryInflater.Inflate(_inflater, buffer, entries[index].Offset + entries[index].Header.Length, entries[index].Header.Size, out _));
            Drain();
        }

        // What is left leans on objects outside the pack: a thin pack, completed from the store.
        foreach (var baseId in refChildren.Keys.ToList())
        {
            if (!refChildren.ContainsKey(baseId)) continue;
            if (!store.TryRead(baseId, out var type, out var data)) continue;
            QueueChildren(-1, baseId, type, () => data);
            Drain();
        }

        int unresolved = entries.Count(e => !e.Resolved);
        if (unresolved > 0) throw new InvalidPackException($"pack has {unresolved} unresolved delta{(unresolved == 1 ? "" : "s")}");
        meter?.Done();

        var byId = new Dictionary<ObjectId, int>(entries.Length);
        for (int i = 0; i < entries.Length; i++) byId.TryAdd(entries[i].Id, i);
        return byId;
    }

    private void CheckReferences(Dictionary<ObjectId, int> byId)
    {
        foreach (var id in _referenced)
        {
            if (!byId.ContainsKey(id) && !store.Contains(id))
                throw new InvalidPackException($"object {id} is referred to but is in neither the pack nor the store");
        }
    }

    private static void Add<TKey>(Dictionary<TKey, List<int>> map, TKey key, int value) where TKey : notnull
    {
        if (!map.TryGetValue(key, out var list)) map[key] = list = [];
        list.Add(value);
    }

    private static void ReadExactly(IPackBytes pack, long position, Span<byte> destination)
    {
        int filled = 0;
        while (filled < destination.Length)
        {
            var span = pack.GetSpan(position + filled);
            if (span.IsEmpty) throw new InvalidPackException("pack is truncated");
            int n = Math.Min(span.Length, destination.Length - filled);
            span[..n].CopyTo(destination[filled..]);
            filled += n;
        }
    }

    private static byte[] ChecksumOf(ChunkedPackBuffer buffer, long length)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        long pos = 0;
        while (pos < length)
        {
            var span = buffer.GetSpan(pos);
            int n = (int)Math.Min(span.Length, length - pos);
            hash.AppendData(span[..n]);
            pos += n;
        }
        return hash.GetHashAndReset();
    }
}
