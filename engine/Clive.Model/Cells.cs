using System.Runtime.CompilerServices;

namespace Clive.Model;

/// <summary>Declares cells. A clive.csx calls these; each cell is named relative to the script's directory.</summary>
public static class Cells
{
    /// <summary>A cell that runs a command in a fresh directory holding exactly its inputs.</summary>
    public static CommandCell Command(string name, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
        => new(name, CellKind.Command, file, line);

    /// <summary>A cell that runs a C# function over its inputs; its value is stored with MessagePack.</summary>
    public static ComputeCell Compute(string name, Func<CellContext, object?> function, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
        => new(name, function, file, line);

    /// <summary>
    /// Declares an entity of the repo: a named value of type <typeparamref name="T"/>, kept as
    /// refs/clive/entities/<paramref name="name"/> with its history. `clive entity set` and the mount validate against <typeparamref name="T"/>.
    /// </summary>
    public static Entity<T> Entity<T>(string name, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
        => new(name, file, line);

    /// <summary>A long-running process: started when its inputs are ready, restarted when they change.</summary>
    public static ServiceCell Service(string name, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
        => new(name, file, line);
}

/// <summary>A command cell; also the base of services, which run a command too.</summary>
public class CommandCell : Cell<CommandCell>
{
    private readonly List<string> _outputs = [];
    private readonly SortedDictionary<string, string> _environment = new(StringComparer.Ordinal);

    internal CommandCell(string name, CellKind kind, string file, int line) : base(name, kind, file, line) { }

    /// <summary>The program and its arguments; a single string is run by /bin/sh -c.</summary>
    public IReadOnlyList<string> CommandLine { get; private set; } = [];

    public bool UsesShell { get; private set; }

    public IReadOnlyList<string> Outputs => _outputs;

    public IReadOnlyDictionary<string, string> Environment => _environment;

    public TimeSpan? Timeout { get; private set; }

    /// <summary>Runs <paramref name="script"/> with /bin/sh -c in the cell's directory.</summary>
    public CommandCell Run(string script)
    {
        CommandLine = [script];
        UsesShell = true;
        return this;
    }

    /// <summary>Runs a program with arguments, no shell.</summary>
    public CommandCell Exec(string program, params string[] arguments)
    {
        CommandLine = [program, .. arguments];
        UsesShell = false;
        return this;
    }

    /// <summary>Files the command leaves behind that make up its output tree (globs relative to its directory).</summary>
    public CommandCell Output(params string[] globs)
    {
        _outputs.AddRange(globs);
        return this;
    }

    public CommandCell Env(string name, string value)
    {
        _environment[name] = value;
        return this;
    }

    /// <summary>Whether the command shares the host's network; cells run with no network unless they say so.</summary>
    public bool UsesNetwork { get; private set; }

    /// <summary>Gives the command the host's network (to download, or for a service to be reached); by default it has none.</summary>
    public CommandCell Network()
    {
        UsesNetwork = true;
        return this;
    }

    public CommandCell WithTimeout(TimeSpan timeout)
    {
        Timeout = timeout;
        return this;
    }

    private readonly List<string> _placement = [];

    /// <summary>The labels an engine must advertise to run this command (<see cref="On"/>); empty: the engine that evaluates the model runs it.</summary>
    public IReadOnlyList<string> Placement => _placement;

    /// <summary>
    /// Runs the command only on an engine that advertises every one of <paramref name="labels"/>
    /// (<c>clive up --label</c>): one on another host when one fits, else this one if its labels fit.
    /// </summary>
    public CommandCell On(params string[] labels)
    {
        foreach (var label in labels)
        {
            if (!IsLabel(label)) throw new ArgumentException($"cell {Name}: '{label}' is not an engine label (letters, digits, '.', '_' and '-', at most 64, starting with a letter or digit)");
            if (!_placement.Contains(label)) _placement.Add(label);
        }
        return this;
    }

    private static bool IsLabel(string label)
        => label.Length is > 0 and <= 64 && char.IsAsciiLetterOrDigit(label[0]) && label.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');
}

/// <summary>A long-running process. Stopped with SIGTERM, then killed after <see cref="GracePeriod"/>.</summary>
public sealed class ServiceCell : CommandCell
{
    internal ServiceCell(string name, string file, int line) : base(name, CellKind.Service, file, line) { }

    public TimeSpan GracePeriod { get; private set; } = TimeSpan.FromSeconds(5);

    public ServiceCell StopWithin(TimeSpan grace)
    {
        GracePeriod = grace;
        return this;
    }
}

/// <summary>A C# function over the cell's inputs.</summary>
public sealed class ComputeCell : Cell<ComputeCell>
{
    internal ComputeCell(string name, Func<CellContext, object?> function, string file, int line) : base(name, CellKind.Compute, file, line)
        => Function = function;

    public Func<CellContext, object?> Function { get; }

    private readonly List<string> _maintains = [];

    /// <summary>The entities it keeps up to date (<see cref="CellContext.Set{T}"/>).</summary>
    public IReadOnlyList<string> Maintained => _maintains;

    /// <summary>
    /// Keeps <paramref name="entity"/> up to date: what the function gives <see cref="CellContext.Set{T}"/>
    /// becomes the entity's next version once the run succeeds (its own write does not run it again).
    /// </summary>
    public ComputeCell Maintains(Entity entity) => Maintains(entity.Name);

    /// <summary>Keeps the entity named <paramref name="entity"/> up to date (as the engine declares it again from the host's description).</summary>
    public ComputeCell Maintains(string entity)
    {
        if (!EntityNames.IsValid(entity)) throw new ArgumentException($"cell {Name}: '{entity}' is not an entity name ({EntityNames.Rule})");
        if (!_maintains.Contains(entity)) _maintains.Add(entity);
        return this;
    }

    /// <summary>A live reference to this cell's result, to keep in a value; its repo and branch are those of the model that runs.</summary>
    public CellRef<T> Ref<T>() => new(Name, ownModel: true);

    /// <summary>Whether its value is a list of engines it wants on other hosts (<see cref="StartsEngines"/>).</summary>
    public bool DeclaresEngines { get; private set; }

    /// <summary>
    /// Its value is the engines it wants on other hosts, a list of <see cref="Engines.Want"/>: after
    /// each run (or cached result) the evaluating engine starts them as it does the model's own
    /// <see cref="Engines.On"/>, and stops what the cell no longer wants, or once the cell is gone.
    /// So a task can start engines for other models, from what it reads (an entity, a file of hosts).
    /// </summary>
    public ComputeCell StartsEngines()
    {
        DeclaresEngines = true;
        return this;
    }
}

/// <summary>What a compute cell sees: its inputs, other cells' values, and where to write files.</summary>
public abstract class CellContext
{
    /// <summary>Every input file, by its path in the cell's directory.</summary>
    public abstract IReadOnlyList<string> Files { get; }

    public abstract byte[] Read(string path);

    public string ReadText(string path) => System.Text.Encoding.UTF8.GetString(Read(path));

    /// <summary>The value of an input cell (one named in <c>From</c>), as stored.</summary>
    public abstract T? Value<T>(string cell);

    /// <summary>The value of an entity the cell reads (<c>Reads(entity)</c>), as it was when the run started; default when it has none yet.</summary>
    public abstract T? Entity<T>(Entity<T> entity);

    /// <summary>
    /// Follows a live reference: the referenced entity's current value. The cell then depends on it
    /// and runs again when it moves. A chain of references that comes back to an entity already on it is an error naming the cycle.
    /// </summary>
    public abstract T Follow<T>(EntityRef<T> reference);

    /// <summary>
    /// Follows a reference to a cell's result: its current value. The cell then runs again when that
    /// value changes. Another repo's cell is followed only when whoever pushed the model may read it.
    /// </summary>
    public abstract T Follow<T>(CellRef<T> reference);

    /// <summary>
    /// Follows a reference to a ref: the commit it points to and its files matched by <paramref name="glob"/>.
    /// The cell then runs again when the ref moves. Followed only when whoever pushed the model may read it.
    /// </summary>
    public abstract RefSnapshot Follow(GitRef reference, string glob = "**");

    /// <summary>Makes <paramref name="value"/> the next version of an entity the cell maintains (<c>Maintains(entity)</c>), once the run succeeds.</summary>
    public abstract void Set<T>(Entity<T> entity, T value);

    /// <summary>Adds a file to the cell's output tree.</summary>
    public abstract void Write(string path, byte[] content);

    public void WriteText(string path, string content) => Write(path, System.Text.Encoding.UTF8.GetBytes(content));

    /// <summary>Kept as the cell's log.</summary>
    public abstract TextWriter Log { get; }

    /// <summary>Fires when a newer change makes this run obsolete, or the engine stops.</summary>
    public abstract CancellationToken Cancellation { get; }
}
