using Clive.Core.Values;
using Clive.Engine.Execution;
using Clive.Engine.Sandboxing;
using Clive.Git;
using Clive.Store.Cells;

namespace Clive.Engine.Evaluation;

/// <summary>
/// Records the entity types a loaded model declares (the store's entity_types), which `clive entity
/// set` and the mount validate against without running model code. The model of the repo's HEAD
/// branch wins; another branch's declares an entity HEAD's model has not.
/// </summary>
internal static class EntityDeclarations
{
    public static void Record(EngineStore store, string repo, string watchedRef, ObjectId commit, IReadOnlyList<DeclaredEntity> entities, Action<string> log)
    {
        if (entities.Count == 0) return;
        var branch = CellRefs.ShortName(watchedRef);
        store.Write(s =>
        {
            var head = s.Store.Repos.TryGetId(repo) is { } repoId ? s.Store.Refs.SymbolicTarget(repoId, "HEAD") : null;
            var headBranch = head is null ? null : CellRefs.ShortName(head) + "@";
            foreach (var entity in entities)
            {
                var existing = s.Store.EntityTypes.Find(repo, entity.Name);
                if (head != watchedRef && headBranch is not null && existing is not null && existing.DeclaredBy.StartsWith(headBranch, StringComparison.Ordinal))
                    continue;
                try
                {
                    s.Store.EntityTypes.Declare(repo, entity.Name, entity.Schema, entity.HasMerge, $"{branch}@{commit}");
                }
                catch (Exception e) when (e is ValueFormatException or CliveException)
                {
                    log($"{repo}@{branch}: entity '{entity.Name}' ({entity.DeclaredIn}({entity.Line})): its type cannot be recorded: {e.Message}");
                }
            }
        });
    }
}
