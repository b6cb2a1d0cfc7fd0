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
/// name and well-formed, every object an object refers to present, every ref pointing at a
/// stored object. Reads everything; changes nothing.
/// </summary>
public sealed class StoreChecker(CliveStore store, Action<string>? progress)
{
    private readonly List<string> _problems = [];

    public FsckReport Run()
    {
        long packs = CheckPacks();
        long objects = CheckObjects();
        long refs = CheckRefs();
        return new FsckReport(packs, objects, refs, _problems);
    }

    private long CheckPacks()
    {
        var packs = store.Connection.Rows("SELECT id, size FROM packs ORDER BY id").Select(r => (Id: r.GetInt64(0), Size: r.GetInt64(1))).ToList();
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
        var referenced = new HashSet<ObjectId>();
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
                ObjectValidator.Validate(type, data, (target, _) => referenced.Add(target));
            }
            catch (CliveException e)
            {
                _problems.Add($"object {id}: {e.Message}");
            }
        }
        meter?.Done();
        foreach (var id in referenced)
        {
            if (!store.Objects.Contains(id)) _problems.Add($"missing object {id} (referred to by a stored object)");
        }
        return total;
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
