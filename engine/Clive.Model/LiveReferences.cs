namespace Clive.Model;

/// <summary>
/// A reference a value may hold and a compute cell may follow (<see cref="CellContext"/>'s Follow):
/// to an entity (<see cref="EntityRef{T}"/>), to a cell's result (<see cref="CellRef{T}"/>) or to a ref
/// (<see cref="GitRef"/>). Stored as a one-key object whose key is reserved: <c>$entity</c>, <c>$cell</c>, <c>$ref</c>.
/// </summary>
public interface ILiveReference
{
    /// <summary>The text stored under the reference's key (a cell's own model's reference resolved against the running cell).</summary>
    string StoredTarget { get; }
}

/// <summary>The reserved keys of stored references, and which reference type each belongs to.</summary>
public static class LiveReferences
{
    public const string EntityKey = "$entity";
    public const string CellKey = "$cell";
    public const string RefKey = "$ref";

    public static readonly IReadOnlyList<string> Keys = [EntityKey, CellKey, RefKey];

    /// <summary>The key a reference type is stored under; null for a type that is no reference.</summary>
    public static string? KeyOf(Type type)
    {
        var definition = type.IsGenericType ? type.GetGenericTypeDefinition() : type;
        if (definition == typeof(EntityRef<>)) return EntityKey;
        if (definition == typeof(CellRef<>)) return CellKey;
        if (definition == typeof(GitRef)) return RefKey;
        return null;
    }

    /// <summary>
    /// The running cell's own address ("repo@branch:cell"), set by the model host around a compute
    /// run: a <see cref="CellRef{T}"/> made by code (<see cref="ComputeCell.Ref{T}"/>) names a cell of the same repo and branch.
    /// </summary>
    [ThreadStatic] private static string? _running;

    public static string? Running => _running;

    /// <summary>Marks the thread as running the cell at <paramref name="address"/> until disposal.</summary>
    public static IDisposable RunningAs(string address)
    {
        var outer = _running;
        _running = address;
        return new Restore(() => _running = outer);
    }

    private sealed class Restore(Action restore) : IDisposable
    {
        public void Dispose() => restore();
    }
}

/// <summary>
/// A live reference to a compute cell's result, held in a value (stored as
/// <c>{"$cell": "&lt;repo&gt;@&lt;branch&gt;:&lt;cell&gt;"}</c>). A cell that follows it gets that cell's current
/// value and runs again when that value changes (not when a rerun gives the same value).
/// </summary>
public sealed class CellRef<T> : ILiveReference, IEquatable<CellRef<T>>
{
    /// <summary>A cell of any repo of the store: "&lt;repo&gt;@&lt;branch&gt;:&lt;cell&gt;".</summary>
    public CellRef(string address)
    {
        var (repo, branch, cell) = CellAddress.Parse(address);
        Repo = repo;
        Branch = branch;
        Cell = cell;
        Chain = EntityRefChain.Current;
    }

    /// <summary>A cell of the model that makes the reference (repo and branch are those of the cell that runs); <paramref name="ownModel"/> only tells it from the constructor taking an address.</summary>
    internal CellRef(string cell, bool ownModel)
    {
        Repo = Branch = "";
        Cell = cell;
        Chain = EntityRefChain.Current;
    }

    /// <summary>The repo, or "" for the model's own (resolved when followed or stored).</summary>
    public string Repo { get; }

    public string Branch { get; }

    /// <summary>The cell's full name in its model ("app/build").</summary>
    public string Cell { get; }

    /// <summary>"&lt;repo&gt;@&lt;branch&gt;:&lt;cell&gt;"; a reference to a cell of the model itself is resolved against the cell that runs.</summary>
    public string Address => Repo.Length > 0 ? $"{Repo}@{Branch}:{Cell}"
        : LiveReferences.Running is { Length: > 0 } running ? Resolved(running)
        : throw new InvalidOperationException($"the reference to cell {Cell} of this model has no repo until a cell of the model runs");

    string ILiveReference.StoredTarget => Address;

    private string Resolved(string running)
    {
        var (repo, branch, _) = CellAddress.Parse(running);
        return $"{repo}@{branch}:{Cell}";
    }

    internal IReadOnlyList<string> Chain { get; }

    public bool Equals(CellRef<T>? other) => other is not null && other.Repo == Repo && other.Branch == Branch && other.Cell == Cell;

    public override bool Equals(object? obj) => obj is CellRef<T> other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Repo, Branch, Cell);

    public override string ToString() => "$cell " + (Repo.Length > 0 ? Address : Cell);
}

/// <summary>The "&lt;repo&gt;@&lt;branch&gt;:&lt;cell&gt;" form of a cell's address.</summary>
public static class CellAddress
{
    public static (string Repo, string Branch, string Cell) Parse(string address)
    {
        int at = address.IndexOf('@');
        int colon = at < 0 ? -1 : address.IndexOf(':', at + 1);
        if (at <= 0 || colon <= at + 1 || colon == address.Length - 1)
            throw new ArgumentException($"'{address}' is not a cell's address (<repo>@<branch>:<cell>)");
        return (address[..at], address[(at + 1)..colon], address[(colon + 1)..]);
    }
}

/// <summary>
/// A live reference to a ref of a repo of the store, held in a value (stored as
/// <c>{"$ref": "&lt;repo&gt;:&lt;refname&gt;"}</c>). A cell that follows it gets the commit it points to and
/// the files of that commit, and runs again when the ref moves.
/// </summary>
public sealed class GitRef : ILiveReference, IEquatable<GitRef>
{
    public GitRef(string address)
    {
        int colon = address.IndexOf(':');
        if (colon <= 0 || colon == address.Length - 1) throw new ArgumentException($"'{address}' is not a ref's address (<repo>:<refname>)");
        Repo = address[..colon];
        Name = address[(colon + 1)..];
    }

    public GitRef(string repo, string name) : this(repo + ":" + name) { }

    public string Repo { get; }

    /// <summary>The ref's name, full ("refs/heads/main") or short ("main").</summary>
    public string Name { get; }

    public string Address => Repo + ":" + Name;

    string ILiveReference.StoredTarget => Address;

    public bool Equals(GitRef? other) => other is not null && other.Address == Address;

    public override bool Equals(object? obj) => obj is GitRef other && Equals(other);

    public override int GetHashCode() => Address.GetHashCode(StringComparison.Ordinal);

    public override string ToString() => "$ref " + Address;
}

/// <summary>What following a <see cref="GitRef"/> gives: the commit the ref points to and the files of its tree that were asked for.</summary>
public sealed class RefSnapshot(string commit, IReadOnlyDictionary<string, byte[]> files)
{
    /// <summary>The commit's id (40 hex digits).</summary>
    public string Commit { get; } = commit;

    /// <summary>The paths of the files matched, in order.</summary>
    public IReadOnlyList<string> Files { get; } = files.Keys.Order(StringComparer.Ordinal).ToList();

    public byte[] Read(string path) => files.TryGetValue(path, out var content) ? content
        : throw new FileNotFoundException($"'{path}' is not among the files followed at {Commit[..12]}", path);

    public string ReadText(string path) => System.Text.Encoding.UTF8.GetString(Read(path));
}
