using Clive.Git;

namespace Clive.Core.Store.Entities;

/// <summary>
/// One version of an entity: its commit, the value (value.msgpack, and value.json made from it, so
/// the JSON always says what the value says, whatever a pushed value.json holds), who wrote it and why.
/// </summary>
public sealed record EntityVersion(
    string Name,
    ObjectId Commit,
    IReadOnlyList<ObjectId> Parents,
    byte[] MessagePack,
    string Json,
    string Author,
    DateTimeOffset Time,
    EntityMessage Message);

/// <summary>An entity's name and the commit its ref points at.</summary>
public sealed record EntityHead(string Name, ObjectId Commit);

/// <summary>
/// Two stores changed one entity: <see cref="Theirs"/> arrived by push and is kept at
/// refs/clive/incoming/entities/&lt;name&gt; (a merge is due) or refs/clive/conflicts/entities/&lt;name&gt;
/// (no merge function, or it reported a conflict). <see cref="Ours"/> is the entity's version now.
/// </summary>
public sealed record EntityDivergence(string Name, ObjectId? Ours, ObjectId Theirs);

/// <summary>The entity moved since the version the writer read: nothing was written.</summary>
public sealed class EntityChangedException(string name, ObjectId expected, ObjectId actual)
    : CliveException($"entity '{name}' changed: expected version {(expected.IsZero ? "(none)" : expected.ToString()[..12])}, it is now {(actual.IsZero ? "(none)" : actual.ToString()[..12])}; read it again and retry")
{
    public ObjectId Actual { get; } = actual;
}

public sealed class EntityNotFoundException(string repo, string name)
    : CliveException($"repository '{repo}' has no entity '{Printable.Of(name)}'");
