using Clive.Git;

namespace Clive.Store.Objects;

/// <summary>Where an object's entry lies in a stored pack, and the object's (resolved) type.</summary>
public readonly record struct ObjectLocation(long PackId, long Offset, long Length, ObjectType Type);
