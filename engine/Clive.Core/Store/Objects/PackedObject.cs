using Clive.Git;

namespace Clive.Store.Objects;

/// <summary>One row of a pack's index: an object, where its entry lies, and its type.</summary>
public readonly record struct PackedObject(ObjectId Id, long Offset, long Length, ObjectType Type);
