using Clive.Git;

namespace Clive.Packs;

/// <summary>
/// Delta bases of a pack being received, least recently used evicted first once their bytes pass
/// the budget. An evicted base is not lost: it is inflated, or resolved from its own base, again.
/// The base in use is held apart (<see cref="Pin"/>), so a base larger than the whole budget is
/// still inflated once for all its deltas rather than once per delta.
/// </summary>
internal sealed class ResolvedBaseCache(long budgetBytes)
{
    private readonly Dictionary<int, LinkedListNode<(int Key, ObjectType Type, byte[] Data)>> _entries = [];
    private readonly LinkedList<(int Key, ObjectType Type, byte[] Data)> _order = new();
    private long _bytes;
    private (int Key, ObjectType Type, byte[] Data)? _pinned;

    public bool TryGet(int key, out ObjectType type, out byte[] data)
    {
        if (_pinned is { } pinned && pinned.Key == key)
        {
            (_, type, data) = pinned;
            return true;
        }
        if (_entries.TryGetValue(key, out var node))
        {
            _order.Remove(node);
            _order.AddFirst(node);
            (_, type, data) = node.Value;
            return true;
        }
        type = ObjectType.None;
        data = [];
        return false;
    }

    public void Pin(int key, ObjectType type, byte[] data) => _pinned = (key, type, data);

    public void Add(int key, ObjectType type, byte[] data)
    {
        // One base as large as the budget would only flush every other; it lives as the pinned one.
        if (data.Length > budgetBytes || _entries.ContainsKey(key)) return;
        while (_bytes + data.Length > budgetBytes && _order.Last is { } oldest)
        {
            _order.RemoveLast();
            _entries.Remove(oldest.Value.Key);
            _bytes -= oldest.Value.Data.Length;
        }
        _entries[key] = _order.AddFirst((key, type, data));
        _bytes += data.Length;
    }
}
