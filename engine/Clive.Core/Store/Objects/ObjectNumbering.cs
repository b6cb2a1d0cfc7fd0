using Clive.Git;

namespace Clive.Store.Objects;

/// <summary>
/// A number for every stored object: its pack's first number plus its place in that pack by
/// offset, each pack starting on a multiple of 64 so that a pack's bits are whole words of a
/// bitmap. A stored pack is never changed, and its index rows are only ever all written at once
/// (a push) or moved away (gc), so a pack whose row count is unchanged numbers the same objects
/// the same way for as long as it exists: that is what makes a saved bitmap checkable.
/// </summary>
public sealed class ObjectNumbering
{
    /// <summary>One pack's numbers: <see cref="First"/> up to, not including, <c>First + Count</c>.</summary>
    public readonly record struct PackRange(long PackId, int First, int Count);

    private readonly Dictionary<ObjectId, int> _numbers;
    private readonly ObjectId[] _ids;
    private readonly Dictionary<long, PackRange> _packs;

    private ObjectNumbering(Dictionary<ObjectId, int> numbers, ObjectId[] ids, Dictionary<long, PackRange> packs)
    {
        (_numbers, _ids, _packs) = (numbers, ids, packs);
    }

    /// <summary>How many numbers there are (with the padding between packs): a bitmap's length in bits.</summary>
    public int Size => _ids.Length;

    public IReadOnlyCollection<PackRange> Packs => _packs.Values;

    public bool TryGetNumber(ObjectId id, out int number) => _numbers.TryGetValue(id, out number);

    public bool TryGetPack(long packId, out PackRange range) => _packs.TryGetValue(packId, out range);

    /// <summary>The object with this number (default for padding).</summary>
    public ObjectId IdAt(int number) => _ids[number];

    internal static ObjectNumbering Scan(ObjectIndexQueries index)
    {
        var numbers = new Dictionary<ObjectId, int>();
        var ids = new List<ObjectId>();
        var packs = new Dictionary<long, PackRange>();
        long currentPack = -1;
        int first = 0;
        void Close()
        {
            if (currentPack >= 0) packs[currentPack] = new PackRange(currentPack, first, ids.Count - first);
            while (ids.Count % 64 != 0) ids.Add(default);
        }
        var rows = index.LoadInPackOrder();
        numbers.EnsureCapacity(rows.Length);
        foreach (var (id, packId, _) in rows)
        {
            if (packId != currentPack)
            {
                Close();
                currentPack = packId;
                first = ids.Count;
            }
            numbers[id] = ids.Count;
            ids.Add(id);
        }
        Close();
        return new ObjectNumbering(numbers, ids.ToArray(), packs);
    }
}
