using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Clive.Compression;
using Clive.Git;
using Clive.Git.Sha1;
using Clive.Progress;
using Clive.Store;

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

/// <summary>A received pack whose every object has been hashed, checked and located; its bytes wait in a temporary file.</summary>
public sealed class IndexedPack(SpooledPack bytes, List<IndexedEntry> entries, Dictionary<ObjectId, int> byId) : IDisposable
{
    public SpooledPack Bytes { get; } = bytes;
    public IReadOnlyList<IndexedEntry> Entries => entries;
    public long Length => Bytes.Length;
    public bool Contains(ObjectId id) => byId.ContainsKey(id);
    public void Dispose() => Bytes.Dispose();
}

/// <summary>
/// Reads a pack from a stream and verifies it the way <c>git index-pack --strict --fix-thin</c>
/// does: trailer checksum, every object's hash, fsck rules for every tree, commit and tag, deltas
/// resolved (thin-pack bases from the store), every object that a new object refers to present
/// either in the pack or in the store and of the type its referrer says, no tree nested deeper
/// than git's <c>core.maxTreeDepth</c>, and every .gitmodules and .gitattributes blob a new tree
/// names within git's rules. Throws <see cref="CliveException"/> on the first problem,
/// before anything has been written. The pack goes to a temporary file in
/// <paramref name="spoolDirectory"/> as it arrives, and is read back from there, so memory stays
/// bounded by <see cref="DeltaResolver.BaseCacheBytes"/> and the largest objects in hand.
/// </summary>
public sealed class PackIndexer(IObjectSource store, Action<string>? progress = null, string? spoolDirectory = null, StoreLimits? limits = null)
{
    private const int HeaderLength = 12;
    private readonly Inflater _inflater = new();
    private readonly ReferencedObjects _referenced = new();
    private readonly TreeDepth _trees = new();
    private readonly HashSet<(ObjectId Id, SpecialFile Kind)> _specialFiles = [];
    private readonly StoreLimits _limits = limits ?? StoreLimits.Default;

    /// <summary>The ids that the objects indexed so far refer to (a source can take the commits among them as hints).</summary>
    public IReadOnlyCollection<ObjectId> Referenced => _referenced.Ids;

    public IndexedPack Index(Stream input)
    {
        SpooledPack? spool = null;
        bool indexed = false;
        try
        {
            spool = new SpooledPack(input, spoolDirectory ?? Path.Combine(Path.GetTempPath(), "clive-" + Environment.UserName),
                _limits.MaxPackSize, _limits.PackTooLarge());
            var entries = ReadEntries(spool);
            var byId = new DeltaResolver(spool, entries, store, _inflater, _limits, Accept, progress).Run();
            _referenced.Check(id => byId.TryGetValue(id, out int i) ? entries[i].Type
                : store.TryGetType(id, out var type) ? type : ObjectType.None);
            _trees.Check();
            CheckSpecialFiles(spool, entries, byId);
            indexed = true;
            return new IndexedPack(spool, entries, byId);
        }
        catch (OutOfMemoryException)
        {
            // Only a single huge array can fail like this (everything else is bounded): the
            // allocation failed and nothing else is harmed, so the push fails and the server lives.
            throw new InvalidPackException($"not enough memory to resolve this pack's objects (lower {StoreLimits.MaxObjectSizeVariable} to refuse such objects)");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A full disk or an unwritable store directory: the push fails, the server lives.
            throw new CliveException($"cannot receive the pack: {e.Message}");
        }
        finally
        {
            if (!indexed) spool?.Dispose();
            _inflater.Dispose();
        }
    }

    /// <summary>
    /// Reads every entry as it arrives. The header's object count is a claim, not a size to
    /// allocate: entries are kept as they are read, and a pack that ends before its count is
    /// truncated.
    /// </summary>
    private List<IndexedEntry> ReadEntries(SpooledPack buffer)
    {
        Span<byte> header = stackalloc byte[HeaderLength];
        ReadExactly(buffer, 0, header);
        if (!header[..4].SequenceEqual("PACK"u8)) throw new InvalidPackException("not a pack (bad signature)");
        uint version = BinaryPrimitives.ReadUInt32BigEndian(header[4..]);
        if (version is not (2 or 3)) throw new InvalidPackException($"unsupported pack version {version}");
        uint count = BinaryPrimitives.ReadUInt32BigEndian(header[8..]);
        if (count > int.MaxValue) throw new InvalidPackException("pack claims too many objects");

        var entries = new List<IndexedEntry>();
        var meter = ProgressMeter.Start("Unpacking objects", count, progress);
        var hash = new CollisionDetectingSha1();
        Span<byte> objectHeader = stackalloc byte[32];
        long pos = HeaderLength;
        for (int i = 0; i < count; i++)
        {
            var entryHeader = PackEntryHeader.Read(buffer, pos);
            if (entryHeader.Size > _limits.MaxObjectSize)
                throw new InvalidPackException($"object at offset {pos}: {_limits.ObjectTooLarge(entryHeader.Size)}");
            long dataPos = pos + entryHeader.Length;
            entries.Add(default);
            ref var entry = ref CollectionsMarshal.AsSpan(entries)[i];
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
                hash.Append(objectHeader[..ObjectHeader.Write(objectHeader, ObjectType.Blob, entryHeader.Size)]);
                compressed = EntryInflater.InflateInto(_inflater, buffer, dataPos, entryHeader.Size, hash);
                entry.Id = ObjectId.Finish(hash);
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
        if (!buffer.Complete(pos).AsSpan().SequenceEqual(trailer))
            throw new InvalidPackException("pack checksum does not match its contents");
        return entries;
    }

    private void Accept(ref IndexedEntry entry, ObjectType type, byte[] data)
    {
        var id = ObjectId.HashObject(type, data);
        List<ObjectId>? subtrees = type == ObjectType.Tree ? [] : null;
        try
        {
            ObjectValidator.Validate(type, data, (target, expected) =>
            {
                _referenced.Add(target, expected);
                if (expected == ObjectType.Tree) subtrees?.Add(target);
            }, (blob, kind) => _specialFiles.Add((blob, kind)));
        }
        catch (InvalidObjectException e)
        {
            throw new InvalidObjectException($"object {id}: {e.Message}");
        }
        if (subtrees is not null) _trees.AddTree(id, subtrees);
        entry.Id = id;
        entry.Type = type;
        entry.Resolved = true;
    }

    /// <summary>
    /// The blobs that trees name <c>.gitmodules</c> or <c>.gitattributes</c>, checked once every object is known: the
    /// blob may come before or after the tree, or be in the store already.
    /// </summary>
    private void CheckSpecialFiles(SpooledPack buffer, List<IndexedEntry> entries, Dictionary<ObjectId, int> byId)
    {
        foreach (var (id, kind) in _specialFiles)
        {
            ObjectType type;
            byte[] data;
            if (byId.TryGetValue(id, out int index)) data = ReadFromPack(buffer, entries, byId, index, out type);
            else if (!store.TryRead(id, out type, out data)) continue; // missing: reported as such already
            if (type != ObjectType.Blob) throw new InvalidObjectException($"object {id}: a tree names it {kind.FileName()}, but it is a {type.Name()}");
            try
            {
                SpecialFiles.Validate(kind, data);
            }
            catch (InvalidObjectException e)
            {
                throw new InvalidObjectException($"object {id}: {e.Message}");
            }
        }
    }

    /// <summary>An object of the pack with its deltas applied, base first (few objects are read so: no cache).</summary>
    private byte[] ReadFromPack(SpooledPack buffer, List<IndexedEntry> entries, Dictionary<ObjectId, int> byId, int index, out ObjectType type)
    {
        var deltas = new Stack<int>();
        byte[] data;
        type = entries[index].Type;
        while (true)
        {
            var header = entries[index].Header;
            if (!header.IsDelta)
            {
                data = EntryInflater.Inflate(_inflater, buffer, entries[index].Offset + header.Length, header.Size, out _);
                break;
            }
            deltas.Push(index);
            if (header.Type == ObjectType.OfsDelta)
            {
                index = IndexAt(entries, header.BaseOffset);
            }
            else if (!byId.TryGetValue(header.BaseId, out index))
            {
                if (!store.TryRead(header.BaseId, out _, out data)) throw new InvalidPackException($"delta base {header.BaseId} is missing");
                break;
            }
        }
        while (deltas.TryPop(out int delta))
        {
            var entry = entries[delta];
            data = Delta.Apply(data, EntryInflater.Inflate(_inflater, buffer, entry.Offset + entry.Header.Length, entry.Header.Size, out _));
        }
        return data;
    }

    /// <summary>The entry at a pack offset: entries are in pack order, so offsets ascend.</summary>
    private static int IndexAt(List<IndexedEntry> entries, long offset)
    {
        int lo = 0, hi = entries.Count - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            long at = entries[mid].Offset;
            if (at == offset) return mid;
            if (at < offset) lo = mid + 1;
            else hi = mid - 1;
        }
        throw new InvalidPackException($"delta has no object at its base offset {offset}");
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
}
