using Clive.Compression;
using Clive.Git;
using Clive.Packs;
using Microsoft.Data.Sqlite;

namespace Clive.Store.Objects;

/// <summary>
/// The objects of a store: packs kept as chunks, and an index from object id to its entry.
/// Deltas are kept as they arrived (stored packs may lean on each other's objects by id), and
/// resolved on read with a bounded cache of delta bases.
/// </summary>
public sealed class ObjectDatabase : IObjectSource, IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly ChunkCache _chunks;
    private readonly Inflater _inflater = new();
    private readonly Dictionary<long, StoredPack> _packs = [];
    private readonly DeltaBaseCache _bases = new();
    private readonly ObjectIndexQueries _index;

    // Past this many point lookups a process is walking a large part of the store (a clone, a
    // big push, fsck): one scan of the index into memory then beats a query per object.
    private const int PointLookupsBeforePreload = 4096;
    private Dictionary<ObjectId, ObjectLocation>? _preloaded;
    private int _pointLookups;

    internal ObjectDatabase(SqliteConnection connection)
    {
        _connection = connection;
        _chunks = new ChunkCache(connection);
        _index = new ObjectIndexQueries(connection);
    }

    public bool Contains(ObjectId id) => TryLocate(id, out _);

    public bool TryGetType(ObjectId id, out ObjectType type)
    {
        bool found = TryLocate(id, out var location);
        type = location.Type;
        return found;
    }

    public long Count() => _connection.Scalar<long>("SELECT count(*) FROM objects");

    /// <summary>The packs the store reads from (not those gc is writing or has retired).</summary>
    public long PackCount() => _connection.Scalar<long>("SELECT count(*) FROM packs WHERE size >= 0");

    public bool TryLocate(ObjectId id, out ObjectLocation location)
    {
        if (_preloaded is null && ++_pointLookups == PointLookupsBeforePreload) Preload();
        // A miss in the preloaded map may be an object another process wrote since: ask SQLite.
        if (_preloaded is not null && _preloaded.TryGetValue(id, out location)) return true;
        return QueryLocation(id, out location);
    }

    private void Preload()
    {
        _preloaded = _index.LoadAll(checked((int)Count()));
        Trace.Write($"object index preloaded: {_preloaded.Count} objects");
    }

    private bool QueryLocation(ObjectId id, out ObjectLocation location) => _index.TryLocate(id, out location);

    /// <summary>
    /// Whether the store holds <paramref name="id"/> now, asked of SQLite rather than of the
    /// preloaded map: for a decision that a gc in another process must not have made stale (the
    /// engine reusing a cached result). Taken inside a write transaction, it holds until commit.
    /// </summary>
    public bool IsStored(ObjectId id)
    {
        bool stored = QueryLocation(id, out var location);
        // The map disagrees with SQLite only when a gc has rewritten the packs since it was loaded.
        if (_preloaded is not null && _preloaded.TryGetValue(id, out var preloaded) && (!stored || preloaded != location)) ForgetLocations();
        return stored;
    }

    /// <summary>
    /// Drops what this connection remembers of where objects lie: another process's gc moved every
    /// object into a new pack and deleted the old ones. Pack ids are never reused, so cached chunks
    /// of deleted packs are merely unused, never wrong.
    /// </summary>
    internal void ForgetLocations()
    {
        _preloaded = null;
        _pointLookups = 0;
        _bases.Clear();
    }

    public bool TryRead(ObjectId id, out ObjectType type, out byte[] data) => TryRead(id, out type, out data, retried: false);

    private bool TryRead(ObjectId id, out ObjectType type, out byte[] data, bool retried)
    {
        if (!TryLocate(id, out var location))
        {
            type = ObjectType.None;
            data = [];
            return false;
        }
        try
        {
            data = ReadAt(location.PackId, location.Offset, out type);
        }
        catch (PackGoneException) when (!retried)
        {
            // The location (preloaded, or asked of SQLite just before) was in a pack that a gc in
            // another process retired since: the object moved to gc's pack. Ask SQLite again, once.
            ForgetLocations();
            return TryRead(id, out type, out data, retried: true);
        }
        return true;
    }

    public byte[] Read(ObjectId id, out ObjectType type)
        => TryRead(id, out type, out var data) ? data : throw new CliveException($"object {id} is missing from the store");

    public byte[] Read(ObjectId id, ObjectType expected)
    {
        var data = Read(id, out var type);
        if (type != expected) throw new CliveException($"object {id} is a {type.Name()}, not a {expected.Name()}");
        return data;
    }

    /// <summary>
    /// A blob's content as a forward-only stream: inflated as read when stored whole, resolved in
    /// memory when stored as a delta (small and rare for big files).
    /// </summary>
    public Stream OpenBlob(ObjectId id) => OpenBlob(id, retried: false);

    private Stream OpenBlob(ObjectId id, bool retried)
    {
        if (!TryLocate(id, out var location)) throw new CliveException($"object {id} is missing from the store");
        Stream stream;
        ObjectType type;
        try
        {
            stream = OpenAt(location.PackId, location.Offset, out type);
        }
        catch (PackGoneException) when (!retried)
        {
            ForgetLocations();
            return OpenBlob(id, retried: true);
        }
        if (type == ObjectType.Blob) return stream;
        stream.Dispose();
        throw new CliveException($"object {id} is a {type.Name()}, not a blob");
    }

    /// <summary>The object whose entry starts at <paramref name="offset"/> as a stream: inflated as read when whole, resolved in memory when a delta.</summary>
    internal Stream OpenAt(long packId, long offset, out ObjectType type)
    {
        var pack = Pack(packId);
        var header = PackEntryHeader.Read(pack, offset);
        if (header.IsDelta) return new MemoryStream(ReadAt(packId, offset, out type), writable: false);
        type = header.Type;
        return new EntryStream(pack, offset + header.Length, header.Size);
    }

    /// <summary>An object's size without reading it: the entry header, or a delta's own header.</summary>
    public long SizeOf(ObjectId id)
    {
        if (!TryLocate(id, out var location)) throw new CliveException($"object {id} is missing from the store");
        return SizeAt(location.PackId, location.Offset);
    }

    internal long SizeAt(long packId, long offset)
    {
        var pack = Pack(packId);
        var header = PackEntryHeader.Read(pack, offset);
        if (!header.IsDelta) return header.Size;
        // A delta starts with two varints, the base's size and the result's: 20 bytes hold both.
        var prefix = EntryInflater.InflatePrefix(_inflater, pack, offset + header.Length, (int)Math.Min(header.Size, 20));
        return Delta.ResultSize(prefix);
    }

    public CommitInfo ReadCommit(ObjectId id) => CommitParser.Parse(Read(id, ObjectType.Commit));

    internal IPackBytes Pack(long packId)
    {
        if (!_packs.TryGetValue(packId, out var pack)) _packs[packId] = pack = new StoredPack(packId, _chunks);
        return pack;
    }

    /// <summary>Reads the object whose entry starts at <paramref name="offset"/>, resolving its delta chain.</summary>
    internal byte[] ReadAt(long packId, long offset, out ObjectType type)
    {
        // A loop and a stack of deltas, not recursion: a pushed chain may be 100,000 deltas deep,
        // and a frame per delta would overflow the thread's stack and kill the process.
        var deltas = new Stack<(long Pack, long Offset, long DataPos, long Size)>();
        byte[] data;
        while (!_bases.TryGet(packId, offset, out type, out data))
        {
            var pack = Pack(packId);
            var header = PackEntryHeader.Read(pack, offset);
            long dataPos = offset + header.Length;
            if (header.Type == ObjectType.OfsDelta)
            {
                deltas.Push((packId, offset, dataPos, header.Size));
                offset = header.BaseOffset;
            }
            else if (header.Type == ObjectType.RefDelta)
            {
                if (!TryLocate(header.BaseId, out var baseLocation))
                    throw new CliveException($"delta base {header.BaseId} is missing from the store");
                deltas.Push((packId, offset, dataPos, header.Size));
                (packId, offset) = (baseLocation.PackId, baseLocation.Offset);
            }
            else
            {
                type = header.Type;
                data = EntryInflater.Inflate(_inflater, pack, dataPos, header.Size, out _);
                Remember(packId, offset, type, data);
                break;
            }
        }
        while (deltas.TryPop(out var delta))
        {
            data = Delta.Apply(data, EntryInflater.Inflate(_inflater, Pack(delta.Pack), delta.DataPos, delta.Size, out _));
            Remember(delta.Pack, delta.Offset, type, data);
        }
        return data;
    }

    private void Remember(long packId, long offset, ObjectType type, byte[] data)
    {
        // Only trees and commits are read over and over (walks, delta chains of trees); caching
        // big blobs would just push them out.
        if (type != ObjectType.Blob || data.Length < 64 * 1024) _bases.Add(packId, offset, type, data);
    }

    /// <summary>
    /// Writes a verified pack and indexes its objects, copying it from its temporary file a chunk
    /// at a time. Call inside a write transaction.
    /// </summary>
    /// <remarks>
    /// An object the store already has keeps its stored copy, so a second copy under the same id
    /// must be the same bytes: otherwise one writer could plant half of a SHA-1 collision pair for
    /// every repo that shares the store. As <c>git index-pack</c> does, only ids already present
    /// are compared (one index lookup for the others), and a mismatch refuses the whole pack.
    /// </remarks>
    internal long Insert(IndexedPack pack)
    {
        var known = pack.Entries.Where(e => TryLocate(e.Id, out _)).Select(e => (e.Id, e.Offset)).ToList();
        long packId = Insert(pack.Bytes.Chunks(), pack.Length,
            pack.Entries.Select(e => new PackedObject(e.Id, e.Offset, e.Length, e.Type)).ToList());
        // Compared once written: the new copies are then read (deltas and all) like stored ones.
        foreach (var (id, offset) in known) StoredCopies.EnsureSame(this, id, packId, offset);
        return packId;
    }

    /// <summary>
    /// Writes a pack given as chunks, with the index of its objects. An object the store already
    /// has keeps its old entry unless <paramref name="relocate"/> (gc, which is about to drop the
    /// old packs). Call inside a write transaction.
    /// </summary>
    internal long Insert(IEnumerable<ReadOnlyMemory<byte>> chunks, long size, IReadOnlyCollection<PackedObject> entries, bool relocate = false)
    {
        long packId = _connection.Scalar<long>(
            "INSERT INTO packs(size, objects, created) VALUES($size, $objects, $now) RETURNING id",
            ("$size", size), ("$objects", entries.Count), ("$now", DateTimeOffset.UtcNow.ToUnixTimeSeconds()));
        using (var insertChunk = _connection.Command("INSERT INTO pack_chunks(pack_id, seq, data) VALUES($pack, $seq, $data)",
                   ("$pack", packId), ("$seq", 0L), ("$data", Array.Empty<byte>())))
        {
            long seq = 0;
            foreach (var chunk in chunks)
            {
                insertChunk.Parameters["$seq"].Value = seq++;
                // A chunk that is a whole array goes in as it is: no second copy of a big pack.
                insertChunk.Parameters["$data"].Value = System.Runtime.InteropServices.MemoryMarshal.TryGetArray(chunk, out var whole)
                    && whole.Offset == 0 && whole.Count == whole.Array!.Length ? whole.Array : chunk.ToArray();
                insertChunk.ExecuteNonQuery();
            }
        }
        using var insertObject = _connection.Command(
            (relocate ? "INSERT OR REPLACE" : "INSERT OR IGNORE") + " INTO objects(oid, pack_id, offset, length, type) VALUES($oid, $pack, $offset, $length, $type)",
            ("$oid", Array.Empty<byte>()), ("$pack", packId), ("$offset", 0L), ("$length", 0L), ("$type", 0));
        insertObject.Prepare();
        foreach (var entry in entries)
        {
            insertObject.Parameters["$oid"].Value = entry.Id.ToBytes();
            insertObject.Parameters["$offset"].Value = entry.Offset;
            insertObject.Parameters["$length"].Value = entry.Length;
            insertObject.Parameters["$type"].Value = (int)entry.Type;
            insertObject.ExecuteNonQuery();
        }
        // The transaction may still roll back; forget the map rather than risk stale entries.
        _preloaded = null;
        _pointLookups = 0;
        return packId;
    }

    /// <summary>Numbers every stored object by its place in its pack, for reachability bitmaps.</summary>
    internal ObjectNumbering Number() => ObjectNumbering.Scan(_index);

    /// <summary>Every stored object, in pack order (the order that reads them fastest).</summary>
    internal IEnumerable<(ObjectId Id, ObjectLocation Location)> All()
        => _connection.Rows("SELECT oid, pack_id, offset, length, type FROM objects ORDER BY pack_id, offset")
            .Select(r => (new ObjectId((byte[])r.GetValue(0)),
                new ObjectLocation(r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), (ObjectType)r.GetInt32(4))));

    /// <summary>Forgets what this connection cached of packs gc retired.</summary>
    internal void Forget(IEnumerable<long> packs)
    {
        foreach (long id in packs)
        {
            _chunks.Forget(id);
            _packs.Remove(id);
        }
        ForgetLocations();
    }

    public void Dispose()
    {
        _index.Dispose();
        _chunks.Dispose();
        _inflater.Dispose();
    }
}
