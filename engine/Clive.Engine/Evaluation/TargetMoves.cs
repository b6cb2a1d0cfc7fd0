using Clive.Engine.Execution;
using Clive.Engine.Graph;
using Clive.Model;
using Clive.Store.Cells;

namespace Clive.Engine.Evaluation;

/// <summary>
/// What moved since a generation of the same commit: entities of the repo, and refs that cells
/// followed (cells' results, other refs). Only the cells that read or followed one of them need a
/// new key; every other cell keeps its key and result (<see cref="Generation"/>).
/// </summary>
internal sealed class TargetMoves
{
    private readonly HashSet<string> _entities = new(StringComparer.Ordinal);
    private readonly HashSet<(string Repo, string Ref)> _refs = [];

    public void Entity(string name) => _entities.Add(name);

    public void Ref(string repo, string refName) => _refs.Add((repo, refName));

    /// <summary>Whether <paramref name="cell"/> reads a moved entity or its latest run followed a moved target.</summary>
    public bool Touch(CellDefinition cell, IReadOnlyList<KeyField> followed)
    {
        foreach (var input in cell.Inputs)
            if (input is EntityInput read && _entities.Contains(read.Entity)) return true;
        foreach (var field in followed)
        {
            if (field.Kind == EntityRun.FollowsKind) { if (_entities.Contains(field.Subject)) return true; }
            else if (_refs.Any(moved => FollowedTargets.IsOf(field, moved.Repo, moved.Ref))) return true;
        }
        return false;
    }

    public override string ToString() => string.Join(", ", _entities.Select(e => "entity " + e).Concat(_refs.Select(r => $"{r.Repo}:{r.Ref}")));
}
