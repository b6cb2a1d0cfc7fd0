namespace Clive.Model;

/// <summary>
/// An entity of the repo: a named, typed, versioned value kept as the ref
/// refs/clive/entities/&lt;name&gt;. Declared once by a model (<see cref="Cells.Entity{T}"/>); cells read it
/// (<c>Reads</c>), follow references to it (<see cref="CellContext.Follow{T}(EntityRef{T})"/>) and keep it up to date (<c>Maintains</c>).
/// </summary>
public abstract class Entity
{
    private protected Entity(string name, Type valueType, string file, int line)
    {
        if (!EntityNames.IsValid(name)) throw new ArgumentException($"{file}({line}): '{name}' is not an entity name ({EntityNames.Rule})");
        Name = name;
        ValueType = valueType;
        DeclaredIn = file;
        Line = line;
        ModelCollector.Declare(this);
    }

    public string Name { get; }

    /// <summary>The type of its values, declared in the model (or the framework).</summary>
    public Type ValueType { get; }

    public string DeclaredIn { get; }

    public int Line { get; }

    /// <summary>Whether the model merges diverged versions of it (<see cref="Entity{T}.Merge"/>).</summary>
    public abstract bool HasMerge { get; }

    /// <summary>Runs the merge function on values of <see cref="ValueType"/>: the merged value, or why they conflict.</summary>
    public abstract (object? Merged, string? Conflict) MergeValues(object? ancestor, object? ours, object? theirs);

    public override string ToString() => Name;
}

/// <summary>An entity whose values are of type <typeparamref name="T"/>.</summary>
public sealed class Entity<T> : Entity
{
    private Func<T?, T, T, MergeResult<T>>? _merge;

    internal Entity(string name, string file, int line) : base(name, typeof(T), file, line) { }

    public override bool HasMerge => _merge is not null;

    /// <summary>
    /// How two versions changed apart (in two stores, say) become one, three-way as Irmin does: the
    /// common ancestor (default when they share none), ours (this store's) and theirs (the one pushed).
    /// Return <see cref="MergeResult{T}.Merged"/> or <see cref="MergeResult{T}.Conflict"/>; without a
    /// merge function, or on a conflict, both versions are kept and `clive status` says so.
    /// </summary>
    public Entity<T> Merge(Func<T?, T, T, MergeResult<T>> merge)
    {
        _merge = merge;
        return this;
    }

    public override (object? Merged, string? Conflict) MergeValues(object? ancestor, object? ours, object? theirs)
    {
        if (_merge is null) return (null, "the model declares no merge function for it");
        var result = _merge(ancestor is null ? default : (T)ancestor, (T)ours!, (T)theirs!);
        return result.IsConflict ? (null, result.Reason) : (result.Value, null);
    }

    /// <summary>A live reference to this entity, to keep in another value.</summary>
    public EntityRef<T> Ref() => new(Name);
}

/// <summary>What a merge function decided: the merged value, or a conflict with the reason.</summary>
public sealed class MergeResult<T>
{
    private MergeResult(T? value, string? reason)
    {
        Value = value;
        Reason = reason;
    }

    public T? Value { get; }

    /// <summary>Why the versions could not be merged; null for a merged value.</summary>
    public string? Reason { get; }

    public bool IsConflict => Reason is not null;

    public static MergeResult<T> Merged(T value) => new(value, null);

    public static MergeResult<T> Conflict(string reason) => new(default, string.IsNullOrWhiteSpace(reason) ? "conflict" : reason);
}

/// <summary>
/// A live reference to an entity, held in a value (stored as <c>{"$entity": name}</c>). A compute
/// cell that follows it (<see cref="CellContext.Follow{T}(EntityRef{T})"/>) depends on that entity: it runs again when the entity moves.
/// </summary>
public sealed class EntityRef<T> : ILiveReference, IEquatable<EntityRef<T>>
{
    public EntityRef(string name)
    {
        Name = name;
        // Decoded inside a followed entity's value: remember the chain that led here, so a loop is seen.
        Chain = EntityRefChain.Current;
    }

    public string Name { get; }

    string ILiveReference.StoredTarget => Name;

    /// <summary>The entities followed to reach the value this reference was read from, outermost first (empty when made by code).</summary>
    internal IReadOnlyList<string> Chain { get; }

    public bool Equals(EntityRef<T>? other) => other is not null && other.Name == Name;

    public override bool Equals(object? obj) => obj is EntityRef<T> other && Equals(other);

    public override int GetHashCode() => Name.GetHashCode(StringComparison.Ordinal);

    public override string ToString() => "$entity " + Name;
}

/// <summary>
/// The chain of entities whose value is being decoded on this thread (the model host sets it while it
/// reads a followed entity), given to each <see cref="EntityRef{T}"/> made meanwhile.
/// </summary>
public static class EntityRefChain
{
    [ThreadStatic] private static IReadOnlyList<string>? _current;

    internal static IReadOnlyList<string> Current => _current ?? [];

    /// <summary>The chain of <paramref name="reference"/>: what was followed to reach it.</summary>
    public static IReadOnlyList<string> Of<T>(EntityRef<T> reference) => reference.Chain;

    /// <summary>The chain of a reference to a cell's result.</summary>
    public static IReadOnlyList<string> Of<T>(CellRef<T> reference) => reference.Chain;

    /// <summary>Marks references decoded until disposal as found at the end of <paramref name="chain"/>.</summary>
    public static IDisposable Decoding(IReadOnlyList<string> chain)
    {
        var outer = _current;
        _current = chain;
        return new Restore(outer);
    }

    private sealed class Restore(IReadOnlyList<string>? outer) : IDisposable
    {
        public void Dispose() => _current = outer;
    }
}

/// <summary>What an entity may be called: the rule of the contract, checked where it is declared.</summary>
public static class EntityNames
{
    public const string Rule = "one or more '/'-separated parts of letters, digits, '.', '_' or '-', none starting with '.' or ending with '.lock', at most 200 bytes";

    public static bool IsValid(string name)
    {
        if (name.Length == 0 || System.Text.Encoding.UTF8.GetByteCount(name) > 200) return false;
        foreach (var part in name.Split('/'))
        {
            if (part.Length == 0 || part[0] == '.' || part.EndsWith(".lock", StringComparison.Ordinal)) return false;
            foreach (var c in part)
                if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-')) return false;
        }
        return true;
    }
}
