using Clive.Engine.Inputs;
using Clive.Store;

namespace Clive.Engine.Execution;

/// <summary>
/// The store as the engine's threads share it: one connection, its tree and match caches, used
/// under one lock. Store work is short (lookups, one transaction per finished cell); commands run outside it.
/// </summary>
public sealed class EngineStore : IDisposable
{
    private readonly object _gate = new();

    public EngineStore(CliveStore store)
    {
        Store = store;
        Trees = new TreeReader(store);
        Matcher = new FileMatcher(Trees);
    }

    public CliveStore Store { get; }
    public TreeReader Trees { get; }
    public FileMatcher Matcher { get; }

    public T Use<T>(Func<EngineStore, T> action)
    {
        lock (_gate) return action(this);
    }

    public void Use(Action<EngineStore> action)
    {
        lock (_gate) action(this);
    }

    public void Dispose() => Store.Dispose();
}
