using System.Collections.Concurrent;
using Clive.Engine.Results;
using Clive.Engine.Values;
using Clive.Model;

namespace Clive.Engine.Sandboxing;

/// <summary>
/// A compute run's entities, in the model host: the values of those it reads (sent with the run),
/// those it follows (asked of the engine, which records them), and the versions it sets.
/// </summary>
internal sealed class HostedEntities(Cell cell, Dictionary<string, byte[]?> reads, Func<string, byte[]> follow)
{
    /// <summary>How many references a chain may follow before it is called too long (a loop through ever new names, say).</summary>
    private const int MaxChain = 64;

    public Dictionary<string, byte[]> Sets { get; } = new(StringComparer.Ordinal);

    public T? Read<T>(Entity<T> entity)
    {
        if (!reads.TryGetValue(entity.Name, out var bytes))
            throw new CellFailure($"cell {cell.Name}: entity '{entity.Name}' is not one of its inputs (add .Reads({entity.Name}))");
        if (bytes is null) return default;
        using (EntityRefChain.Decoding([entity.Name])) return (T?)Decode($"entity '{entity.Name}'", bytes, typeof(T));
    }

    public T Follow<T>(EntityRef<T> reference)
    {
        var chain = EntityRefChain.Of(reference);
        CheckChain(chain, reference.Name);
        var bytes = follow(reference.Name);
        using (EntityRefChain.Decoding([.. chain, reference.Name])) return (T)Decode($"entity '{reference.Name}'", bytes, typeof(T))!;
    }

    /// <summary>A cell's result: its value, as the engine read it from the result ref (and recorded that the run depends on it).</summary>
    public T Follow<T>(CellRef<T> reference)
    {
        string address;
        try { address = reference.Address; }
        catch (InvalidOperationException e) { throw new CellFailure($"cell {cell.Name}: {e.Message}"); }
        // On a chain, a cell is "cell <address>" (entity names hold no space, so the two never meet).
        var step = "cell " + address;
        var chain = EntityRefChain.Of(reference);
        if (address == LiveReferences.Running) throw new CellFailure($"cell {cell.Name}: references form a cycle: {string.Join(" -> ", [.. chain, step, step])}");
        CheckChain(chain, step);
        var bytes = follow(new FollowTarget(LiveReferences.CellKey, address, "").Text);
        using (EntityRefChain.Decoding([.. chain, step])) return (T)Decode($"the value of cell {address}", bytes, typeof(T))!;
    }

    /// <summary>A ref: the commit it points to and its files matched by <paramref name="glob"/>.</summary>
    public RefSnapshot Follow(GitRef reference, string glob)
    {
        var bytes = follow(new FollowTarget(LiveReferences.RefKey, reference.Address, glob).Text);
        var followed = MessagePack.MessagePackSerializer.Deserialize<FollowedRef>(bytes);
        return new RefSnapshot(followed.Commit, followed.Files);
    }

    /// <summary>Fails the cell when following <paramref name="next"/> would come back to a step already on the chain, or the chain grew too long.</summary>
    private void CheckChain(IReadOnlyList<string> chain, string next)
    {
        if (chain.Contains(next))
        {
            var loop = chain.SkipWhile(step => step != next).Append(next);
            throw new CellFailure($"cell {cell.Name}: references form a cycle: {string.Join(" -> ", loop)}");
        }
        if (chain.Count >= MaxChain)
            throw new CellFailure($"cell {cell.Name}: a chain of more than {MaxChain} references ({string.Join(" -> ", chain.Take(5))} -> …)");
    }

    public void Set<T>(Entity<T> entity, T value)
    {
        if (cell is not ComputeCell compute || !compute.Maintained.Contains(entity.Name))
            throw new CellFailure($"cell {cell.Name}: it does not maintain entity '{entity.Name}' (add .Maintains({entity.Name}))");
        try
        {
            Sets[entity.Name] = ValueWriter.Write(value, typeof(T));
        }
        catch (ValueException e)
        {
            throw new CellFailure($"cell {cell.Name}: its new version of entity '{entity.Name}' cannot be stored: {e.Message}");
        }
    }

    /// <summary>A stored value as <paramref name="type"/>; one the type cannot hold fails the cell, saying where.</summary>
    private object? Decode(string what, byte[] bytes, Type type)
    {
        try
        {
            return ValueReader.Read(bytes, type);
        }
        catch (ValueException e)
        {
            throw new CellFailure($"cell {cell.Name}: {what} does not read as {type.Name}: {e.Message}");
        }
    }
}

/// <summary>
/// Questions a compute run asks the engine while it runs: sent on the host's stdout as replies that
/// carry <see cref="HostReply.Follow"/>, answered by <see cref="HostRequest.Followed"/> requests.
/// </summary>
internal sealed class EngineQuestions(int run, Action<HostReply> send, ConcurrentDictionary<(int Run, int Follow), TaskCompletionSource<HostRequest>> waiting,
    CancellationToken cancel)
{
    private int _next;

    /// <summary>The current value of <paramref name="name"/> (a <see cref="FollowTarget"/>'s text), as the engine read it (and recorded that the run depends on it).</summary>
    public byte[] Follow(string name)
    {
        int id = Interlocked.Increment(ref _next);
        var answer = new TaskCompletionSource<HostRequest>(TaskCreationOptions.RunContinuationsAsynchronously);
        waiting[(run, id)] = answer;
        try
        {
            send(new HostReply { Id = run, Follow = name, FollowId = id });
            var request = answer.Task.WaitAsync(cancel).GetAwaiter().GetResult();
            if (request.Error is { } error) throw new CellFailure(error);
            return request.Value ?? throw new CellFailure($"{name} has no value");
        }
        finally
        {
            waiting.TryRemove((run, id), out _);
        }
    }
}

/// <summary>The host's side of entities: describing what the model declares, and running its merge functions.</summary>
internal static class EntityMerger
{
    public static DeclaredEntity Describe(Entity entity) => new()
    {
        Name = entity.Name,
        TypeName = entity.ValueType.FullName ?? entity.ValueType.Name,
        Schema = ValueSchemas.Of(entity.ValueType),
        HasMerge = entity.HasMerge,
        DeclaredIn = entity.DeclaredIn,
        Line = entity.Line,
    };

    /// <summary>Merges ours and theirs with the declared entity's function: the merged value, a conflict, or an error.</summary>
    public static HostReply Merge(HostRequest request, Dictionary<string, Entity> entities)
    {
        var name = request.Entity ?? "";
        if (!entities.TryGetValue(name, out var entity)) return new HostReply { Id = request.Id, Error = $"the model declares no entity '{name}'" };
        try
        {
            var type = entity.ValueType;
            var ancestor = request.Value is { } a ? ValueReader.Read(a, type) : null;
            var (merged, conflict) = entity.MergeValues(ancestor, ValueReader.Read(request.Ours ?? [], type), ValueReader.Read(request.Theirs ?? [], type));
            return conflict is not null
                ? new HostReply { Id = request.Id, Conflict = conflict }
                : new HostReply { Id = request.Id, Value = ValueWriter.Write(merged, type) };
        }
        catch (Exception e)
        {
            // The merge function is model code: its failure is a conflict with a reason, not the host's end.
            return new HostReply { Id = request.Id, Conflict = $"the merge function failed: {e.GetType().Name}: {e.Message}" };
        }
    }
}
