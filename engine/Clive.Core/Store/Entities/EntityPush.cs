using Clive.Core.Values;
using Clive.Git;
using Clive.Store;
using Clive.Store.Refs;
using Clive.Transfer;

namespace Clive.Core.Store.Entities;

/// <summary>What receive-pack does with an update of refs/clive/entities/&lt;name&gt; instead of what it asked.</summary>
/// <param name="Instead">The update to make in its place; null: nothing to do (the pushed version is already an ancestor of the entity's).</param>
/// <param name="Refusal">Why the version cannot be kept (another one is kept in conflict already); the push of it is refused.</param>
public sealed record EntityPushDiversion(RefUpdate? Instead, string? Refusal = null);

/// <summary>
/// Entities pushed from another store. A fast-forward is an ordinary update. A version that
/// diverged from this store's is not refused and does not replace it: it is kept beside it, at
/// refs/clive/incoming/entities/&lt;name&gt; when the declared type has a merge function (the engine
/// merges it), else at refs/clive/conflicts/entities/&lt;name&gt; (both kept, status says so).
/// git itself sends a non-fast-forward only when forced (<c>+</c>), so a diverged push is
/// diverted whether forced or not: a push never destroys an entity's history.
/// </summary>
public static class EntityPush
{
    /// <summary>Why a pushed entity version is not one (no value.msgpack, a value that is not a clive value or does not fit the declared type), or null.</summary>
    public static string? Problem(CliveStore store, string repo, RefUpdate update)
    {
        if (update.New.IsZero || !update.Name.StartsWith(EntityName.RefPrefix, StringComparison.Ordinal)) return null;
        var name = update.Name[EntityName.RefPrefix.Length..];
        if (!EntityName.IsValid(name, out var why)) return $"invalid entity name: {why}";
        try
        {
            var version = store.Entities.ReadVersion(name, update.New);
            // The same check as a person's edit: the value, as JSON, must fit the type the model declares.
            if (store.EntityTypes.Find(repo, name) is { } declared) ValueJson.ToMessagePack(version.Json, declared.Schema);
            return null;
        }
        catch (Exception e) when (e is ValueFormatException or InvalidObjectException)
        {
            return "not an entity version: " + e.Message;
        }
    }

    /// <summary>The diversion for a diverged entity update, or null when it is an ordinary update (new, fast-forward, delete, stale).</summary>
    public static EntityPushDiversion? Divert(CliveStore store, string repo, long repoId, RefUpdate update)
    {
        if (update.Old.IsZero || update.New.IsZero || EntityName.FromRef(update.Name) is not { } name) return null;
        // A stale push is answered by the ordinary compare-and-swap, as for any ref.
        if (store.Refs.Get(repoId, update.Name) != update.Old) return null;
        if (Ancestry.IsAncestor(store.Objects, update.Old, update.New)) return null;
        if (Ancestry.IsAncestor(store.Objects, update.New, update.Old)) return new EntityPushDiversion(null);
        var merges = store.EntityTypes.Find(repo, name)?.HasMerge == true;
        var keptRef = (merges ? EntityName.IncomingPrefix : EntityName.ConflictPrefix) + name;
        var kept = store.Refs.Get(repoId, keptRef);
        // One diverged version waits at a time: a later one of the same line replaces it, an unrelated one is refused (never lost).
        if (store.Entities.ConflictBlocks(kept, update.New))
            return new EntityPushDiversion(null, new EntityConflictPendingException(repo, name, kept!.Value).Message);
        if (kept is { } k && Ancestry.IsAncestor(store.Objects, update.New, k)) return new EntityPushDiversion(null);
        return new EntityPushDiversion(new RefUpdate(keptRef, kept ?? ObjectId.Zero, update.New));
    }
}
