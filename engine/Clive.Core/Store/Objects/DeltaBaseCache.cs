using Clive.Git;

namespace Clive.Store.Objects;

/// <summary>Recently resolved objects by pack position, so delta chains are not re-walked from the root.</summary>
internal sealed class DeltaBaseCache(long budgetBytes = 128L << 20)
{
    private readonly Dictionary<(long Pack, long Offset), (ObjectType Type, byte[] Data)> _entries = [];
    private readonly Queue<(long Pack, long Offset)> _order = new();
    private long _bytes;

    public bool TryGet(long pack, long offset, out ObjectType type, out byte[] data)
    {
        if (_entries.TryGetValue((pack, offset), out var entry))
        {
            (type, data) = entry;
            return true;
        }
        type = ObjectType.None;
        data = [];
        return false;
    }

    public void Clear()
    {
        _entries.Clear();
        _order.Clear();
        _bytes = 0;
    }

    public void Add(long pack, long offset, ObjectType type, byte[] data)
    {
        if (!_entries.TryAdd((pack, offset), (type, data))) return;
        _order.Enqueue((pack, offset));
        _bytes += data.Length;
        while (_bytes > budgetBytes && _order.TryDequeue(out var oldest))
        {
            if (_entries.Remove(oldest, out var evicted)) _bytes -= evicted.Data.Length;
        }
    }
}
