namespace Clive.Model;

/// <summary>
/// Collects the cells, entities and remote engines a model script declares. The engine opens one around each script it runs;
/// declarations outside one (an editor evaluating a script) are simply not kept.
/// </summary>
public sealed class ModelCollector : IDisposable
{
    private static readonly AsyncLocal<ModelCollector?> Current = new();
    private readonly List<Cell> _cells = [];
    private readonly List<Entity> _entities = [];
    private readonly List<EngineDeclaration> _engines = [];
    private readonly ModelCollector? _outer;

    private ModelCollector()
    {
        _outer = Current.Value;
        Current.Value = this;
    }

    public static ModelCollector Begin() => new();

    public IReadOnlyList<Cell> Cells => _cells;

    public IReadOnlyList<Entity> Entities => _entities;

    public IReadOnlyList<EngineDeclaration> Engines => _engines;

    internal static void Declare(Cell cell) => Current.Value?._cells.Add(cell);

    internal static void Declare(Entity entity) => Current.Value?._entities.Add(entity);

    internal static void Declare(EngineDeclaration engine) => Current.Value?._engines.Add(engine);

    public void Dispose() => Current.Value = _outer;
}
