using System.Collections.Concurrent;
using Clive.Store.Cells;

namespace Clive.Engine.Evaluation;

/// <summary>
/// Which entities of its repo a watched ref's model depends on: those its cells read (declared) and
/// those its cells followed in their latest results (learnt as they run). A move of one of them evaluates the model again.
/// </summary>
internal sealed class EntityDependents(Func<Graph.CellGraph> graph)
{
    private readonly ConcurrentDictionary<string, string[]> _followed = new(StringComparer.Ordinal);

    /// <summary>Records what a cell's latest result followed (nothing: forgets it).</summary>
    public void Followed(string cell, IReadOnlyList<KeyField> fields)
    {
        if (fields.Count == 0) _followed.TryRemove(cell, out _);
        else _followed[cell] = fields.Select(f => f.Subject).ToArray();
    }

    public bool DependsOn(string entity)
        => graph().EntitiesRead.Contains(entity) || _followed.Values.Any(names => names.Contains(entity, StringComparer.Ordinal));

    /// <summary>A new model: cells it no longer declares follow nothing.</summary>
    public void Keep(IEnumerable<string> cells)
    {
        var kept = cells.ToHashSet(StringComparer.Ordinal);
        foreach (var cell in _followed.Keys)
            if (!kept.Contains(cell)) _followed.TryRemove(cell, out _);
    }
}
