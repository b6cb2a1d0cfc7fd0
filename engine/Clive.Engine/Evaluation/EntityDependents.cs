using System.Collections.Concurrent;
using Clive.Store.Cells;

namespace Clive.Engine.Evaluation;

/// <summary>
/// Which entities of its repo a watched ref's model depends on: those its cells read (declared) and
/// those its cells followed in their latest results (learnt as they run); and which cells' results
/// and refs its cells followed. A move of one of them evaluates the model again.
/// </summary>
internal sealed class EntityDependents(Func<Graph.CellGraph> graph)
{
    private readonly ConcurrentDictionary<string, KeyField[]> _followed = new(StringComparer.Ordinal);

    /// <summary>Records what a cell's latest result followed (nothing: forgets it).</summary>
    public void Followed(string cell, IReadOnlyList<KeyField> fields)
    {
        if (fields.Count == 0) _followed.TryRemove(cell, out _);
        else _followed[cell] = fields.ToArray();
    }

    /// <summary>What the latest result of <paramref name="cell"/> followed.</summary>
    public IReadOnlyList<KeyField> FollowedBy(string cell) => _followed.TryGetValue(cell, out var fields) ? fields : [];

    public bool DependsOn(string entity)
        => graph().EntitiesRead.Contains(entity)
            || _followed.Values.Any(fields => fields.Any(f => f.Kind == Execution.EntityRun.FollowsKind && f.Subject == entity));

    /// <summary>Whether a cell followed a cell's result or a ref published at <paramref name="refName"/> of <paramref name="repo"/>.</summary>
    public bool Follows(string repo, string refName)
        => _followed.Values.Any(fields => fields.Any(f => Execution.FollowedTargets.IsOf(f, repo, refName)));

    /// <summary>A new model: cells it no longer declares follow nothing.</summary>
    public void Keep(IEnumerable<string> cells)
    {
        var kept = cells.ToHashSet(StringComparer.Ordinal);
        foreach (var cell in _followed.Keys)
            if (!kept.Contains(cell)) _followed.TryRemove(cell, out _);
    }
}
