
namespace Clive.Model;

/// <summary>What a cell does when its inputs change.</summary>
public enum CellKind
{
    /// <summary>A command run in a fresh directory holding exactly its inputs.</summary>
    Command,
    /// <summary>A C# function over its inputs, run in the sandboxed model host (never in the engine).</summary>
    Compute,
    /// <summary>A long-running process, restarted when its inputs change and stopped with the engine.</summary>
    Service,
}

/// <summary>
/// A cell of the model: a name, inputs, an action and outputs. Declared by a clive.csx; the engine
/// reads the declaration once the script has run, so the fluent calls may come in any order.
/// </summary>
public abstract class Cell
{
    private readonly List<CellInput> _inputs = [];

    private protected Cell(string name, CellKind kind, string file, int line)
    {
        Kind = kind;
        DeclaredIn = file;
        Line = line;
        Directory = ModelPaths.DirectoryOf(file);
        try
        {
            Name = ModelPaths.CellName(Directory, name);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"{file}({line}): {e.Message}");
        }
        ModelCollector.Declare(this);
    }

    /// <summary>The full name: the declaring file's directory, then the name given ("app/build").</summary>
    public string Name { get; }

    public CellKind Kind { get; }

    /// <summary>The clive.csx (or a file it loads) that declared the cell, as a path in the tree ("/app/clive.csx").</summary>
    public string DeclaredIn { get; }

    public int Line { get; }

    /// <summary>The directory of the declaring file, relative to the tree's root ("" at the root).</summary>
    public string Directory { get; }

    public IReadOnlyList<CellInput> Inputs => _inputs;

    /// <summary>Re-runs on a schedule as well as on changes: a recurring task.</summary>
    public TimeSpan? Period { get; private set; }

    private protected void AddInput(CellInput input) => _inputs.Add(input);

    private protected void SetPeriod(TimeSpan period)
    {
        if (period < TimeSpan.FromSeconds(1)) throw new ArgumentException($"cell {Name}: a period must be at least one second");
        Period = period;
    }

    public override string ToString() => Name;
}

/// <summary>The fluent part shared by every kind of cell.</summary>
public abstract class Cell<TSelf> : Cell where TSelf : Cell<TSelf>
{
    private protected Cell(string name, CellKind kind, string file, int line) : base(name, kind, file, line) { }

    /// <summary>
    /// Files of the tree, by path or glob relative to the declaring file's directory ("src/**/*.cs";
    /// a leading "/" starts at the root; a leading "!" excludes). They keep their paths in the cell's directory.
    /// </summary>
    public TSelf Files(params string[] globs)
    {
        AddInput(new FilesInput(Directory, globs));
        return (TSelf)this;
    }

    /// <summary>Another cell's output files, placed at <paramref name="at"/> (default: the other cell's name).</summary>
    public TSelf From(Cell cell, string? at = null) => From(cell.Name, at, rooted: true);

    /// <summary>Another cell's output by name, relative to this file's directory, or from the root with a leading "/".</summary>
    public TSelf From(string cell, string? at = null) => From(cell, at, rooted: false);

    private TSelf From(string cell, string? at, bool rooted)
    {
        var name = rooted ? cell : ModelPaths.Resolve(Directory, cell);
        AddInput(new CellOutputInput(name, at ?? name));
        return (TSelf)this;
    }

    /// <summary>
    /// A live reference: files of another ref of the store (another branch, another repo), placed at
    /// <paramref name="at"/>. The cell runs again whenever that ref moves and those files change.
    /// </summary>
    public TSelf FromRef(string repo, string refName, string glob = "**", string? at = null)
    {
        AddInput(new RefInput(repo, refName, glob, at ?? ""));
        return (TSelf)this;
    }

    /// <summary>
    /// Reads an entity: the cell runs again whenever it moves. A command finds its value as JSON at
    /// <paramref name="at"/> (default "&lt;name&gt;.json", relative to the cell's directory); a compute
    /// cell gets it with <see cref="CellContext.Entity{T}"/>.
    /// </summary>
    public TSelf Reads(Entity entity, string? at = null) => Reads(entity.Name, at);

    /// <summary>Reads the entity named <paramref name="entity"/> (as the engine declares it again from the host's description).</summary>
    public TSelf Reads(string entity, string? at = null)
    {
        if (!EntityNames.IsValid(entity)) throw new ArgumentException($"cell {Name}: '{entity}' is not an entity name ({EntityNames.Rule})");
        AddInput(new EntityInput(entity, at ?? entity + ".json"));
        return (TSelf)this;
    }

    /// <summary>Runs again every <paramref name="period"/>, whether or not anything changed.</summary>
    public TSelf Every(TimeSpan period)
    {
        SetPeriod(period);
        return (TSelf)this;
    }
}

/// <summary>One input of a cell, as declared.</summary>
public abstract record CellInput;

/// <summary>Files of the cell's own tree: globs relative to <paramref name="Directory"/>.</summary>
public sealed record FilesInput(string Directory, IReadOnlyList<string> Globs) : CellInput;

/// <summary>The output files (and value) of another cell, placed at <paramref name="At"/>.</summary>
public sealed record CellOutputInput(string Cell, string At) : CellInput;

/// <summary>Files of another ref: <paramref name="Repo"/> ("" for the cell's own), matched by <paramref name="Glob"/>.</summary>
public sealed record RefInput(string Repo, string Ref, string Glob, string At) : CellInput;

/// <summary>An entity of the cell's repo; its value.json is placed at <paramref name="At"/>, relative to the cell's directory.</summary>
public sealed record EntityInput(string Entity, string At) : CellInput;

/// <summary>Where a cell's command runs: what it may call its output directory and name.</summary>
public static class CellEnvironment
{
    /// <summary>A directory whose contents become the cell's output tree, as well as the declared output globs.</summary>
    public const string OutputDirectory = "CLIVE_OUT";
    /// <summary>The full name of the running cell.</summary>
    public const string CellName = "CLIVE_CELL";
}

