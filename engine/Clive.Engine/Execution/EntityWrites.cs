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

    /// <summary>Writes every set version; returns why a write lost its race (another writer moved the entity), or null.</summary>
    public static string? Write(EngineStore store, string repo, string cell, EntityRun entities, string keyText, IReadOnlyDictionary<string, byte[]> sets)
    {
        foreach (var (name, value) in sets.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            var expected = entities.Expected.GetValueOrDefault(name) ?? ObjectId.Zero;
            try
            {
                store.Write(s =>
                {
                    if (!expected.IsZero && SameValue(s, expected, value)) return;
                    s.Store.Entities.Write(repo, name, value, expected, Identity,
                        new EntityMessage($"{cell}: new version of {name}", entities.CellId, keyText), Author);
                });
            }
            catch (EntityChangedException e)
            {
                return e.Message;
            }
            catch (ValueFormatException e)
            {
                // The bytes came from the model host: a value that is not one fails the cell, never the engine.
                throw new Results.CellFailure($"cell {cell}: its value for entity '{name}' cannot be stored: {e.Message}");
            }
        }
        return null;
    }

    private static bool SameValue(EngineStore s, ObjectId version, byte[] value)
    {
        var files = s.Trees.Entries(s.Trees.TreeOfCommit(version));
        return files.TryGetValue(EntityStore.MessagePackFile, out var stored) && stored.Id == ObjectId.HashObject(ObjectType.Blob, value);
    }
}
