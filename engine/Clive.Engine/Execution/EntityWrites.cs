using Clive.Core.Store.Entities;
using Clive.Core.Values;
using Clive.Git;

namespace Clive.Engine.Execution;

/// <summary>
/// Writes the versions a maintaining cell's run set: each a compare-and-swap against the version
/// its key saw, authored by clive-engine, its message naming the cell and key. A value equal to the
/// current one makes no version, so the entity's readers keep their keys (early cutoff).
/// </summary>
public static class EntityWrites
{
    public const string Author = "clive-engine";

    private static readonly CommitIdentity Identity = new($"{Author} <clive@{Environment.MachineName}>", $"{Author} <clive@{Environment.MachineName}>");

    /// <summary>
    /// Writes every set version in one ref transaction, all or none: a cell that maintains several
    /// entities never leaves some written and others not. Returns why the writes lost their race
    /// (another writer moved one of the entities; nothing was written), or null.
    /// </summary>
    public static string? Write(EngineStore store, string repo, string cell, EntityRun entities, string keyText, IReadOnlyDictionary<string, byte[]> sets)
    {
        try
        {
            store.Write(s =>
            {
                var changes = new List<EntityChange>();
                foreach (var (name, value) in sets.OrderBy(s => s.Key, StringComparer.Ordinal))
                {
                    var expected = entities.Expected.GetValueOrDefault(name) ?? ObjectId.Zero;
                    if (!expected.IsZero && SameValue(s, expected, value)) continue;
                    changes.Add(new EntityChange(name, value, expected, new EntityMessage($"{cell}: new version of {name}", entities.CellId, keyText)));
                }
                s.Store.Entities.WriteAll(repo, changes, Identity, Author);
            });
            return null;
        }
        catch (EntityChangedException e)
        {
            return e.Message;
        }
        catch (ValueFormatException e)
        {
            // The bytes came from the model host: a value that is not one fails the cell, never the engine.
            throw new Results.CellFailure($"cell {cell}: its value for {e.Message}");
        }
    }

    private static bool SameValue(EngineStore s, ObjectId version, byte[] value)
    {
        var files = s.Trees.Entries(s.Trees.TreeOfCommit(version));
        return files.TryGetValue(EntityStore.MessagePackFile, out var stored) && stored.Id == ObjectId.HashObject(ObjectType.Blob, value);
    }
}
