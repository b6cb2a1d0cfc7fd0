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

    /// <summary>
    /// Held around every write transaction the engine makes, on this connection or another: SQLite
    /// makes a second writer sleep and retry, which would put pauses of a tenth of a second between
    /// cells; queued here, writers follow each other at once. Taken by <see cref="Write{T}"/>, always before the connection's own lock.
    /// </summary>
    public object WriteGate { get; } = new();
    public TreeReader Trees { get; }

    /// <summary>
    /// Results were committed without waiting for the disk since the last commit that did: the next
    /// status flush that says a cell is done must be a durable commit, which syncs them too (the
    /// store's log is written in order). Read and set under <see cref="WriteGate"/>.
    /// </summary>
    public bool ResultsAwaitingDisk { get; set; }
    public FileMatcher Matcher { get; }

    public T Use<T>(Func<EngineStore, T> action)
    {
        lock (_gate) return action(this);
    }

    public void Use(Action<EngineStore> action)
    {
        lock (_gate) action(this);
    }

    /// <summary><see cref="Use{T}"/> for work that writes: behind <see cref="WriteGate"/>.</summary>
    public T Write<T>(Func<EngineStore, T> action)
    {
        lock (WriteGate) return Use(action);
    }

    public void Write(Action<EngineStore> action)
    {
        lock (WriteGate) Use(action);
    }

    public void Dispose() => Store.Dispose();
}
