
namespace Clive.Engine.Graph;

/// <summary>The cells of a model in dependency order, checked: names unique, inputs known, no cycles.</summary>
public sealed class CellGraph
{
    public static readonly CellGraph Empty = new([]);

    private CellGraph(IReadOnlyList<CellDefinition> ordered)
    {
        Ordered = ordered;
        ByName = ordered.ToDictionary(c => c.Name, StringComparer.Ordinal);
        Periods = ordered.Select(c => c.Declaration.Period).OfType<TimeSpan>().Distinct().ToList();
        RefInputs = ordered.SelectMany(c => c.Inputs.OfType<Clive.Model.RefInput>()).Distinct().ToList();
        EntitiesRead = ordered.SelectMany(c => c.Inputs.OfType<Clive.Model.EntityInput>()).Select(e => e.Entity).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>The entities of the repo that cells read: a move of one re-evaluates the model.</summary>
    public IReadOnlySet<string> EntitiesRead { get; }

    public IReadOnlyList<CellDefinition> Ordered { get; }

    public IReadOnlyDictionary<string, CellDefinition> ByName { get; }

    /// <summary>The schedules of recurring cells: the engine wakes at the next slot of each.</summary>
    public IReadOnlyList<TimeSpan> Periods { get; }

    /// <summary>The other refs cells read: a move of one re-evaluates the model.</summary>
    public IReadOnlyList<Clive.Model.RefInput> RefInputs { get; }

    /// <summary>Builds the graph; throws <see cref="ModelException"/> naming the declaration at fault.</summary>
    public static CellGraph Build(IEnumerable<CellDefinition> cells)
    {
        var byName = new Dictionary<string, CellDefinition>(StringComparer.Ordinal);
        foreach (var cell in cells)
        {
            if (byName.TryGetValue(cell.Name, out var earlier))
            {
                // A module loaded by two scripts declares its cells twice, identically: one cell.
                if (earlier.Text == cell.Text && earlier.Declaration.DeclaredIn == cell.Declaration.DeclaredIn) continue;
                throw new ModelException($"{Where(cell)}: cell '{cell.Name}' is already declared at {Where(earlier)}");
            }
            byName[cell.Name] = cell;
        }
        foreach (var name in byName.Keys)
        {
            // Results are published as refs/clive/cells/<branch>/<name>: "a" and "a/b" cannot both be refs.
            int slash = name.LastIndexOf('/');
            for (; slash > 0; slash = name.LastIndexOf('/', slash - 1))
                if (byName.ContainsKey(name[..slash]))
                    throw new ModelException($"{Where(byName[name])}: cell '{name}' is below cell '{name[..slash]}'; rename one of them");
        }
        foreach (var cell in byName.Values)
            foreach (var dependency in cell.CellDependencies)
                if (!byName.ContainsKey(dependency))
                    throw new ModelException($"{Where(cell)}: cell '{cell.Name}' uses cell '{dependency}', which no clive.csx declares");

        // Kahn's algorithm: iterative, so a 10,000-cell chain cannot overflow the stack.
        var ordered = new List<CellDefinition>(byName.Count);
        var waitingOn = byName.Values.ToDictionary(c => c.Name, c => c.CellDependencies.Distinct().Count(), StringComparer.Ordinal);
        var dependents = byName.Keys.ToDictionary(n => n, _ => new List<string>(), StringComparer.Ordinal);
        foreach (var cell in byName.Values)
            foreach (var dependency in cell.CellDependencies.Distinct()) dependents[dependency].Add(cell.Name);
        var ready = new Queue<string>(waitingOn.Where(w => w.Value == 0).Select(w => w.Key).Order(StringComparer.Ordinal));
        while (ready.TryDequeue(out var name))
        {
            ordered.Add(byName[name]);
            foreach (var dependent in dependents[name])
                if (--waitingOn[dependent] == 0) ready.Enqueue(dependent);
        }
        if (ordered.Count < byName.Count)
        {
            // Every cell left waits on another one left: follow them until a name repeats.
            var path = new List<string> { waitingOn.Where(w => w.Value > 0).Select(w => w.Key).Order(StringComparer.Ordinal).First() };
            while (true)
            {
                var next = byName[path[^1]].CellDependencies.First(d => waitingOn[d] > 0);
                if (path.IndexOf(next) is var at and >= 0)
                    throw new ModelException($"{Where(byName[next])}: cells depend on each other in a cycle: {string.Join(" -> ", path.Skip(at).Append(next))}");
                path.Add(next);
            }
        }
        return new CellGraph(ordered);
    }

    private static string Where(CellDefinition cell) => $"{cell.Declaration.DeclaredIn}({cell.Declaration.Line})";
}

/// <summary>A model that cannot be used: the message names the file and line.</summary>
public sealed class ModelException(string message) : CliveException(message);
