using Clive.Git;

namespace Clive.Packs;

/// <summary>
/// The objects a received pack's objects refer to, each with the type its referrer expects: a
/// commit's tree is a tree, a 040000 entry a tree, a file entry a blob, a tag's object what its
/// <c>type</c> line says. A wrong type would be stored happily and break every clone later, so
/// it is refused at receive, as <c>git index-pack --strict</c> does ("object type mismatch").
/// </summary>
internal sealed class ReferencedObjects
{
    private readonly Dictionary<ObjectId, ObjectType> _expected = [];

    /// <summary>Every id referred to so far.</summary>
    public IReadOnlyCollection<ObjectId> Ids => _expected.Keys;

    public void Add(ObjectId id, ObjectType expected)
    {
        if (_expected.TryAdd(id, expected)) return;
        var earlier = _expected[id];
        if (earlier != expected)
            throw new InvalidObjectException($"object {id} is referred to both as a {earlier.Name()} and as a {expected.Name()}");
    }

    /// <summary>
    /// Refuses a reference to an object that is missing or of another type.
    /// <paramref name="typeOf"/> answers from the pack, then the store; None when neither has it.
    /// </summary>
    public void Check(Func<ObjectId, ObjectType> typeOf)
    {
        foreach (var (id, expected) in _expected)
        {
            var actual = typeOf(id);
            if (actual == ObjectType.None)
                throw new InvalidPackException($"object {id} is referred to but is in neither the pack nor the store");
            if (actual != expected)
                throw new InvalidObjectException($"object {id} is a {actual.Name()}, but an object refers to it as a {expected.Name()}");
        }
    }
}
