using Clive.Core.Values;
using Clive.Git;
using Clive.Store;

namespace Clive.Core.Store.Entities;

/// <summary>
/// A person's edit of an entity as JSON (<c>clive entity set</c>, a save in the mount): checked
/// against the type a model declared, then written as a version (settling a conflict kept for the
/// entity: the edit is the merge). The model's code never runs: the declared schema is all there is to check with.
/// </summary>
public static class EntityEdit
{
    /// <returns>The new version.</returns>
    /// <param name="expected">The version the edit was made on (zero: the entity is new); null: the current one.</param>
    /// <exception cref="EntityTypeNotDeclaredException">No model of the repo declares the entity.</exception>
    /// <exception cref="ValueFormatException">The JSON does not parse or does not fit the type; the message names the path.</exception>
    /// <exception cref="EntityChangedException">The entity moved since <paramref name="expected"/>.</exception>
    public static ObjectId Save(CliveStore store, string repo, string name, string json, ObjectId? expected, CommitIdentity author, string summary, string who)
    {
        repo = Clive.Store.Repos.RepoName.Normalize(repo);
        EntityName.Check(name);
        store.Repos.GetId(repo);
        var declared = store.EntityTypes.Find(repo, name) ?? throw new EntityTypeNotDeclaredException(repo, name);
        var msgpack = ValueJson.ToMessagePack(json, declared.Schema);
        var old = expected ?? store.Entities.Read(repo, name)?.Commit ?? ObjectId.Zero;
        return store.Entities.WriteSettlingConflict(repo, name, msgpack, old, author, new EntityMessage(summary), who);
    }
}

public sealed class EntityTypeNotDeclaredException(string repo, string name)
    : CliveException($"no model of repository '{repo}' declares entity '{Printable.Of(name)}', so there is no type to check it against (declare it in clive.csx; `clive up` records its type)");
