using Clive.Git;
using Clive.Progress;
using System.Security.Cryptography;

namespace Clive.Store.Maintenance;

public sealed record FsckReport(long Packs, long Objects, long Refs, IReadOnlyList<string> Problems)
{
    public bool Clean => Problems.Count == 0;
}

/// <summary>
/// <c>clive fsck</c>: every pack complete with a matching checksum, every object hashing to its
/// name and well-formed, every object an object refers to present, every ref and every row that
/// will use an object again (<see cref="TableReferences"/>) pointing at a stored object. Reads
/// everything; changes nothing.
/// </summary>
public sealed class StoreChecker(CliveStore store, Action<string>? progress)
{
    private readonly List<string> _problems = [];

    public FsckReport Run()
    {
        long packs = CheckPacks();
        long objects = CheckObjects();
        long refs = CheckRefs();
        CheckTables();
        return new FsckReport(packs, objects, refs, _problems);
    }

    private long CheckPacks()
    {
        var packs = store.Connection.Rows("SELECT id, size FROM packs WHERE size >= 0 ORDER BY id").Select(r => (Id: r.GetInt64(0), Size: r.GetInt64(1))).ToList();
        var meter = ProgressMeter.Start("Checking packs", packs.Count, progress);
        foreach (var (id, size) in packs)
        {
            var chunks = store.Connection.Rows("SELECT seq, length(data) FROM pack_chunks WHERE pack_id=$id ORDER BY seq", ("$id", id))
                .Select(r => (Seq: r.GetInt64(0), Length: r.GetInt64(1))).ToList();
            bool contiguous = chunks.Select((c, i) => c.Seq == i).All(x => x);
            if (!contiguous || chunks.Sum(c => c.Length) != size)
            {
                _problems.Add($"pack {id}: chunks are missing or sized wrongly");
                continue;
            }
            var pack = store.Objects.Pack(id);
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
            long pos = 0, body = size - ObjectId.ByteLength;
            while (pos < body)
            {
                var span = pack.GetSpan(pos);
                int n = (int)Math.Min(span.Length, body - pos);
                hash.AppendData(span[..n]);
                pos += n;
            }
            var trailer = new byte[ObjectId.ByteLength];
            for (int i = 0; i < trailer.Length; i++) trailer[i] = pack.GetSpan(body + i)[0];
            if (!hash.GetHashAndReset().AsSpan().SequenceEqual(trailer)) _problems.Add($"pack {id}: checksum mismatch");
            meter?.Increment();
        }
        meter?.Done();
        return packs.Count;
    }

    private long CheckObjects()
    {
        long total = store.Connection.Scalar<long>("SELECT count(*) FROM objects");
        var meter = ProgressMeter.Start("Checking objects", total, progress);
        // What each referenced object must be, and who says so (the first referrer is enough to name).
        var referenced = new Dictionary<ObjectId, (ObjectType Expected, ObjectId Referrer)>();
        var specialFiles = new HashSet<(ObjectId, SpecialFile)>();
        // The limit a push enforces: what fsck flags, a push would have refused, and the reverse.
        var limits = StoreLimits.For(store.Directory);
        long count = 0;
        foreach (var (id, location) in store.Objects.All().ToList())
        {
            meter?.Report(++count);
            try
            {
                long size = store.Objects.SizeAt(location.PackId, location.Offset);
                if (size > limits.MaxObjectSize)
                {
                    _problems.Add($"object {id}: {limits.ObjectTooLarge(size)}");
                    continue;
                }
                var data = store.Objects.ReadAt(location.PackId, location.Offset, out var type);
                if (type != location.Type) _problems.Add($"object {id}: indexed as {location.Type.Name()} but is a {type.Name()}");
                if (ObjectId.HashObject(type, data) != id) _problems.Add($"object {id}: content does not hash to its name");
                ObjectValidator.Validate(type, data, (target, expected) =>
                {
                    if (!referenced.TryAdd(target, (expected, id)) && referenced[target].Expected != expected)
                        _problems.Add($"object {id}: refers to {target} as a {expected.Name()}, but object {referenced[target].Referrer} refers to it as a {referenced[target].Expected.Name()}");
                }, (blob, kind) => specialFiles.Add((blob, kind)));
            }
            catch (CliveException e)
            {
                _problems.Add($"object {id}: {e.Message}");
            }
        }
        meter?.Done();
        foreach (var (id, (expected, referrer)) in referenced)
        {
            if (!store.Objects.TryGetType(id, out var actual)) _problems.Add($"missing object {id} (referred to by object {referrer})");
            else if (actual != expected) _problems.Add($"object {referrer}: refers to {id} as a {expected.Name()}, but it is a {actual.Name()}");
        }
        CheckSpecialFiles(specialFiles);
        return total;
    }

    /// <summary>The blobs that trees name .gitmodules or .gitattributes, read once all objects are seen (as git's fsck_finish does).</summary>
    private void CheckSpecialFiles(IEnumerable<(ObjectId, SpecialFile)> blobs)
    {
        foreach (var (id, kind) in blobs)
        {
            try
            {
                if (!store.Objects.TryRead(id, out var type, out var data)) continue; // reported as missing
                if (type != ObjectType.Blob) _problems.Add($"object {id}: a tree names it {kind.FileName()}, but it is a {type.Name()}");
                else SpecialFiles.Validate(kind, data);
            }
            catch (CliveException e)
            {
                _problems.Add($"object {id}: {e.Message}");
            }
        }
    }

    /// <summary>Rows that name objects besides refs: what gc keeps for them must be there.</summary>
    private void CheckTables()
    {
        foreach (var named in TableReferences.Overlay(store).Concat(TableReferences.CellStatus(store)))
            if (!store.Objects.Contains(named.Id)) _problems.Add($"{named.NamedBy} names missing object {named.Id}");
        foreach (var cached in TableReferences.CellResults(store))
            foreach (var id in new[] { cached.Commit, cached.Output ?? cached.Commit })
                if (!store.Objects.Contains(id))
                {
                    _problems.Add($"{cached.Name} names missing object {id} (`clive gc` forgets it; the cell then runs again)");
                    break;
                }
    }

    private long CheckRefs()
    {
        long count = 0;
        foreach (var repo in store.Repos.List())
        {
            long repoId = store.Repos.GetId(repo.Name);
            foreach (var r in store.Refs.List(repoId))
            {
                count++;
                if (r.Target is { } id && !store.Objects.Contains(id))
                    _problems.Add($"{repo.Name}: {r.Name} points at missing object {id}");
                if (r.SymbolicTarget is { } target && !target.StartsWith("refs/", StringComparison.Ordinal))
                    _problems.Add($"{repo.Name}: {r.Name} is a symbolic ref to '{target}', outside refs/");
            }
        }
        return count;
    }
}
