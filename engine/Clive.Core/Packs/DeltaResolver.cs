using System.Runtime.InteropServices;
using Clive.Compression;
using Clive.Git;
using Clive.Progress;
using Clive.Store;

namespace Clive.Packs;

/// <summary>Checks a resolved object and records its id and type in its entry.</summary>
internal delegate void AcceptObject(ref IndexedEntry entry, ObjectType type, byte[] data);

/// <summary>
/// Resolves every delta of a received pack, as <c>git index-pack</c> does, in memory bounded by
/// the base cache (git's <c>core.deltaBaseCacheLimit</c>) plus the few objects in hand, however the
/// deltas are arranged: a delta's base is re-inflated, or re-resolved from its own base, when it
/// has been evicted, rather than every base kept alive while its descendants wait. Deltas of one
/// base are taken smallest family first, so the base is needed no more once its largest family
/// (the one most likely to evict it) has started: a long chain with a delta hanging off every link
/// resolves each link once.
/// </summary>
internal sealed class DeltaResolver(SpooledPack pack, List<IndexedEntry> entries, IObjectSource store, Inflater inflater,
    StoreLimits limits, AcceptObject accept, Action<string>? progress)
{
    public const long BaseCacheBytes = 96L << 20;
    private const int NoBase = int.MinValue;

    // A base is named by a key: an entry's index, or ~i for the i-th object a thin pack leans on
    // from the store.
    private readonly List<ObjectId> _external = [];
    private readonly ResolvedBaseCache _cache = new(BaseCacheBytes);
    private readonly Stack<int> _pending = new();
    private int[] _baseOf = [];
    private int[] _familySize = [];
    private int[] _ofsChildStart = [];
    private int[] _ofsChildren = [];
    private Dictionary<ObjectId, List<int>> _refChildren = [];
    private ProgressMeter? _meter;
    private int _resolved;

    private Span<IndexedEntry> Entries => CollectionsMarshal.AsSpan(entries);

    public Dictionary<ObjectId, int> Run()
    {
        int deltas = Link();
        _meter = deltas > 0 ? ProgressMeter.Start("Resolving deltas", deltas, progress) : null;
        for (int i = 0; i < entries.Count; i++)
        {
            if (Entries[i].Header.IsDelta) continue;
            PushChildren(i, Entries[i].Id);
            Drain();
        }
        // What is left leans on objects outside the pack: a thin pack, completed from the store.
        foreach (var baseId in _refChildren.Keys.ToList())
        {
            if (!_refChildren.ContainsKey(baseId) || !store.Contains(baseId)) continue;
            int key = ~_external.Count;
            _external.Add(baseId);
            PushChildren(key, baseId);
            Drain();
        }

        int unresolved = 0;
        foreach (ref var entry in Entries) if (!entry.Resolved) unresolved++;
        if (unresolved > 0) throw new InvalidPackException($"pack has {unresolved} unresolved delta{(unresolved == 1 ? "" : "s")}");
        _meter?.Done();

        var byId = new Dictionary<ObjectId, int>(entries.Count);
        for (int i = 0; i < entries.Count; i++) byId.TryAdd(Entries[i].Id, i);
        return byId;
    }

    /// <summary>
    /// Finds each delta's base (by offset now, by id once ids are known) and the size of each
    /// object's family by offset; returns the number of deltas. Entries are in pack order and a
    /// base always precedes its delta, so offsets are found by binary search and families summed
    /// back to front.
    /// </summary>
    private int Link()
    {
        var all = Entries;
        _baseOf = new int[all.Length];
        _familySize = new int[all.Length];
        _ofsChildStart = new int[all.Length + 1];
        int deltas = 0, ofsDeltas = 0;
        for (int i = 0; i < all.Length; i++)
        {
            _baseOf[i] = NoBase;
            _familySize[i] = 1;
            var header = all[i].Header;
            if (header.Type == ObjectType.OfsDelta)
            {
                int baseIndex = IndexAt(all[..i], header.BaseOffset);
                if (baseIndex < 0) throw new InvalidPackException($"delta at {all[i].Offset} has no object at its base offset");
                _baseOf[i] = baseIndex;
                _ofsChildStart[baseIndex + 1]++;
                ofsDeltas++;
                deltas++;
            }
            else if (header.Type == ObjectType.RefDelta)
            {
                if (!_refChildren.TryGetValue(header.BaseId, out var list)) _refChildren[header.BaseId] = list = [];
                list.Add(i);
                deltas++;
            }
        }
        // Children by base, in one array (a list per base costs more than the deltas' entries).
        for (int i = 0; i < all.Length; i++) _ofsChildStart[i + 1] += _ofsChildStart[i];
        _ofsChildren = new int[ofsDeltas];
        var next = _ofsChildStart[..^1];
        for (int i = 0; i < all.Length; i++)
        {
            if (all[i].Header.Type == ObjectType.OfsDelta) _ofsChildren[next[_baseOf[i]]++] = i;
        }
        for (int i = all.Length - 1; i >= 0; i--)
        {
            if (all[i].Header.Type == ObjectType.OfsDelta) _familySize[_baseOf[i]] += _familySize[i];
        }
        return deltas;
    }

    private static int IndexAt(Span<IndexedEntry> sorted, long offset)
    {
        int lo = 0, hi = sorted.Length - 1;
        while (lo <= hi)
        {
            int mid = lo + (hi - lo) / 2;
            long at = sorted[mid].Offset;
            if (at == offset) return mid;
            if (at < offset) lo = mid + 1;
            else hi = mid - 1;
        }
        return -1;
    }

    /// <summary>Queues the deltas of one base so that the smallest family is resolved first.</summary>
    private void PushChildren(int key, ObjectId id)
    {
        bool hasOfsChildren = key >= 0 && _ofsChildStart[key] < _ofsChildStart[key + 1];
        if (!hasOfsChildren && !_refChildren.ContainsKey(id)) return;
        var children = new List<int>();
        if (key >= 0)
        {
            for (int c = _ofsChildStart[key]; c < _ofsChildStart[key + 1]; c++) children.Add(_ofsChildren[c]);
        }
        if (_refChildren.Remove(id, out var byRef))
        {
            foreach (var child in byRef) _baseOf[child] = key;
            children.AddRange(byRef);
        }
        if (children.Count == 0) return;
        // A stack: push the largest first, so the smallest comes off first.
        children.Sort((a, b) => _familySize[b].CompareTo(_familySize[a]));
        foreach (var child in children) _pending.Push(child);
    }

    private bool HasChildren(int index)
        => _ofsChildStart[index] < _ofsChildStart[index + 1] || _refChildren.ContainsKey(Entries[index].Id);

    private void Drain()
    {
        while (_pending.TryPop(out int child))
        {
            var baseData = BaseData(_baseOf[child], out var type);
            var data = Apply(child, baseData);
            accept(ref Entries[child], type, data);
            _meter?.Report(++_resolved);
            if (!HasChildren(child)) continue;
            _cache.Add(child, type, data);
            _cache.Pin(child, type, data);
            PushChildren(child, Entries[child].Id);
        }
    }

    /// <summary>
    /// The bytes of a base: from the cache, else rebuilt from the nearest ancestor that is
    /// cached or whole (an object in the pack, or one from the store), applying the deltas between.
    /// </summary>
    private byte[] BaseData(int key, out ObjectType type)
    {
        if (_cache.TryGet(key, out type, out var data)) return data;
        var path = new Stack<int>();
        int root = key;
        while (root >= 0 && Entries[root].Header.IsDelta && !_cache.TryGet(root, out _, out _))
        {
            path.Push(root);
            root = _baseOf[root];
        }
        if (_cache.TryGet(root, out type, out data))
        {
        }
        else if (root < 0)
        {
            if (!store.TryRead(_external[~root], out type, out data))
                throw new InvalidPackException($"delta base {_external[~root]} vanished from the store");
            _cache.Add(root, type, data);
        }
        else
        {
            ref var entry = ref Entries[root];
            type = entry.Type;
            data = EntryInflater.Inflate(inflater, pack, entry.Offset + entry.Header.Length, entry.Header.Size, out _);
            _cache.Add(root, type, data);
        }
        while (path.TryPop(out int step))
        {
            data = Apply(step, data);
            _cache.Add(step, type, data);
        }
        _cache.Pin(key, type, data);
        return data;
    }

    private byte[] Apply(int index, byte[] baseData)
    {
        ref var entry = ref Entries[index];
        var delta = EntryInflater.Inflate(inflater, pack, entry.Offset + entry.Header.Length, entry.Header.Size, out _);
        long size = Delta.ResultSize(delta);
        if (size > limits.MaxObjectSize) throw new InvalidPackException($"object at offset {entry.Offset}: {limits.ObjectTooLarge(size)}");
        return Delta.Apply(baseData, delta);
    }
}
