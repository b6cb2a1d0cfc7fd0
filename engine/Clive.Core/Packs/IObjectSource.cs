using Clive.Git;

namespace Clive.Packs;

/// <summary>What a pack being received may lean on: the objects the store already has.</summary>
public interface IObjectSource
{
    bool Contains(ObjectId id);

    /// <summary>An object's type without reading it, or false when the store does not have it.</summary>
    bool TryGetType(ObjectId id, out ObjectType type);

    /// <summary>Reads a whole object, or returns false when the store does not have it.</summary>
    bool TryRead(ObjectId id, out ObjectType type, out byte[] data);
}
